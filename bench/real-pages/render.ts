// Blog, wiki and mailing-list layouts of the real-page set: real site themes from Debian packages
// (Jekyll's minima, Pelican's simple theme, ikiwiki's page template, MHonArc's archive pages)
// rendered by their own generators around real text: git's release notes (the git package's
// RelNotes), each note one post, and for the archive git's how-to mails (git-doc's howto/, with
// their own From and Subject) beside the notes as release announcements. ./build.ts runs this for
// every layout of ./manifest.json that has `render`; the site lands in the layout's root.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** How a layout's site is made: which generator, and which of the notes become its posts. */
export interface Render {
  tool: 'jekyll' | 'pelican' | 'ikiwiki' | 'mhonarc';
  notes: string;
  include: string;
  /** A folder of mails (headers, a blank line, the text) that join the notes, for the archive. */
  mails?: string;
}

interface Post {
  slug: string;
  title: string;
  date: string;
  body: string;
}

/** The notes as posts: the title is the note's first line, the body what follows its underline. */
function posts(render: Render): Post[] {
  const include = new RegExp(render.include);
  const files = readdirSync(render.notes)
    .filter((f) => include.test(f))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return files.map((file, i) => {
    const lines = readFileSync(join(render.notes, file), 'utf8').split('\n');
    const title = (lines[0] ?? file).trim();
    const bodyStart = /^[=-]{3,}\s*$/.test(lines[1] ?? '') ? 2 : 1;
    const day = new Date(Date.UTC(2010, 0, 1 + 30 * i)).toISOString().slice(0, 10);
    return {
      slug: file.replace(/\.txt$/, '').replaceAll('.', '-'),
      title,
      date: day,
      body: lines.slice(bodyStart).join('\n'),
    };
  });
}

const write = (path: string, text: string) => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
};

const ABOUT =
  'Release notes of the Git version control system, one post per release, as the Git project wrote them.';

function jekyll(src: string, site: string, all: Post[]): void {
  write(
    join(src, '_config.yml'),
    [
      'title: Git Release Notes',
      'email: notes@example.org',
      `description: ${ABOUT}`,
      'author: The Git project',
      'github_username: git',
      'twitter_username: git',
      'theme: minima',
      'plugins: [jekyll-feed, jekyll-seo-tag]',
      'permalink: /posts/:title.html',
      'header_pages: [about.md, archive.md]',
    ].join('\n'),
  );
  write(join(src, 'about.md'), `---\nlayout: page\ntitle: About\n---\n${ABOUT}\n`);
  write(join(src, 'archive.md'), '---\nlayout: page\ntitle: Archive\n---\nEvery release, newest first.\n');
  write(join(src, 'index.md'), '---\nlayout: home\n---\n');
  for (const p of all)
    write(
      join(src, '_posts', `${p.date}-${p.slug}.md`),
      `---\nlayout: post\ntitle: ${JSON.stringify(p.title)}\n---\n{% raw %}\n${p.body}\n{% endraw %}\n`,
    );
  execFileSync('jekyll', ['build', '--quiet', '-s', src, '-d', site], { stdio: 'inherit' });
}

function pelican(src: string, site: string, all: Post[]): void {
  write(
    join(src, 'pelicanconf.py'),
    [
      "SITENAME = 'Git Release Notes'",
      "SITESUBTITLE = 'one post per release'",
      "AUTHOR = 'The Git project'",
      "THEME = 'simple'",
      "TIMEZONE = 'UTC'",
      "DEFAULT_LANG = 'en'",
      "ARTICLE_URL = ARTICLE_SAVE_AS = 'posts/{slug}.html'",
      "MENUITEMS = [('Archives', '/archives.html'), ('Tags', '/tags.html')]",
      'DISPLAY_CATEGORIES_ON_MENU = True',
      'FEED_ALL_ATOM = None',
    ].join('\n'),
  );
  for (const p of all) {
    const series = p.slug.split('-').slice(0, 2).join('.');
    write(
      join(src, 'content', `${p.slug}.md`),
      `Title: ${p.title}\nDate: ${p.date}\nCategory: Releases\nTags: git, release ${series}\nSlug: ${p.slug}\n\n${p.body}\n`,
    );
  }
  execFileSync('pelican', ['-q', join(src, 'content'), '-o', site, '-s', join(src, 'pelicanconf.py')], {
    stdio: 'inherit',
  });
}

function ikiwiki(src: string, site: string, all: Post[]): void {
  write(join(src, 'index.mdwn'), `${ABOUT}\n\n[[!inline pages="posts/*" archive="yes"]]\n`);
  write(join(src, 'sidebar.mdwn'), '* [[Home|index]]\n* [[Release posts|posts]]\n* [[About|index]]\n');
  write(join(src, 'posts.mdwn'), '[[!inline pages="posts/*" archive="yes"]]\n');
  for (const p of all)
    write(
      join(src, 'posts', `${p.slug}.mdwn`),
      `[[!meta title="${p.title}"]]\n[[!tag release git]]\n\n${p.body}\n`,
    );
  // A CGI and history URL make ikiwiki put its edit, history and recent-changes actions on each page.
  const url = 'http://wiki.example.org';
  const plugins = ['sidebar', 'meta', 'inline', 'tag', 'recentchanges'].flatMap((p) => ['--plugin', p]);
  execFileSync(
    'ikiwiki',
    [
      ...plugins,
      '--url',
      url,
      '--cgiurl',
      `${url}/ikiwiki.cgi`,
      '--historyurl',
      `${url}/history/[[file]]`,
      src,
      site,
    ],
    { stdio: 'inherit' },
  );
}

/** The how-to mails that carry their own From and Subject, as an mbox's messages. */
function mails(dir: string): { from: string; subject: string; body: string }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .flatMap((file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      const split = text.indexOf('\n\n');
      const head = text.slice(0, split);
      const from = head.match(/^From:\s*(.+)$/m)?.[1];
      const subject = head.match(/^Subject:\s*(.+)$/m)?.[1];
      return from && subject ? [{ from, subject, body: text.slice(split + 2) }] : [];
    });
}

function mhonarc(src: string, site: string, all: Post[], render: Render): void {
  const announcements = all.map((p) => ({
    from: 'Junio C Hamano <gitster@pobox.com>',
    subject: `[ANNOUNCE] ${p.title}`,
    body: p.body,
  }));
  const messages = [...(render.mails ? mails(render.mails) : []), ...announcements];
  const mbox = messages.map((m, i) => {
    const date = new Date(Date.UTC(2012, 0, 1 + i)).toUTCString().replace('GMT', '+0000');
    // mbox quoting: a body line that starts with "From " would open a new message.
    const body = m.body.replace(/^From /gm, '>From ');
    return `From archive Thu Jan  1 00:00:00 2012\nFrom: ${m.from}\nSubject: ${m.subject}\nDate: ${date}\nMessage-ID: <${i}@example.org>\n\n${body}\n`;
  });
  write(join(src, 'mbox'), mbox.join('\n'));
  mkdirSync(site, { recursive: true });
  execFileSync('mhonarc', ['-quiet', '-outdir', site, join(src, 'mbox')], { stdio: 'inherit' });
}

const TOOLS = { jekyll, pelican, ikiwiki, mhonarc };

/** Renders the layout's site into `root` (its sources beside it), replacing what was there. */
export function renderSite(render: Render, root: string): void {
  const src = `${root}-src`;
  rmSync(src, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
  TOOLS[render.tool](src, root, posts(render), render);
}
