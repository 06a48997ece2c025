// Web pages with their article known: each demo-corpus text (real English prose) set inside the
// chrome of a common kind of site — an mdBook-style book (chapter sidebar, theme picker, search,
// "Print this book", the keyboard help), a news site (menu, cookie banner, share buttons, related
// stories, newsletter box, footer) or a Sphinx-style documentation site (toctree, previous/next
// topic, quick search, "Show Source", copyright). What a page's chrome says is listed, so a test can
// count the chrome an extraction left over.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../core/prng.ts';

export type Layout = 'book' | 'news' | 'docs';

export interface ChromePage {
  url: string;
  layout: Layout;
  html: string;
  /** The article as a reader would copy it: title, then paragraphs, blank lines between. */
  article: string;
  /** Every line of text the chrome shows (none of them in the article). */
  chrome: string[];
}

interface Article {
  id: string;
  title: string;
  paragraphs: string[];
}

function corpus(): Article[] {
  const path = join(import.meta.dirname, '../../demo/corpus/sample.jsonl');
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const { id, text } = JSON.parse(line) as { id: string; text: string };
      // The first line is the title (some texts go on after a single line break).
      const cut = text.indexOf('\n');
      const paragraphs = text
        .slice(cut + 1)
        .trim()
        .split(/\n\n+/);
      return { id, title: text.slice(0, cut), paragraphs };
    });
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const links = (items: string[], href = (i: number) => `/p/${i}.html`) =>
  items.map((t, i) => `<li><a href="${href(i)}">${esc(t)}</a></li>`).join('\n');

/** The article's own markup: <h1> and paragraphs, in the element each site kind puts it in. */
const body = (a: Article) =>
  `<h1>${esc(a.title)}</h1>\n${a.paragraphs.map((p) => `<p>${esc(p)}</p>`).join('\n')}`;

type Render = (a: Article, others: Article[], rng: Rng) => { html: string; chrome: string[] };

const BOOK_HELP = [
  'Keyboard shortcuts',
  'Press ← or → to navigate between chapters',
  'Press S or / to search in the book',
  'Press ? to show this help',
  'Press Esc to hide this help',
];
const THEMES = ['Light', 'Rust', 'Coal', 'Navy', 'Ayu'];

const book: Render = (a, others) => {
  const chapters = others.map((o, i) => `${i + 1}. ${o.title}`);
  const chrome = [
    ...chapters,
    ...BOOK_HELP,
    ...THEMES,
    'Print this book',
    'Search this book ...',
    'The Field Guide',
  ];
  const html = `<!DOCTYPE html><html lang="en" class="light"><head><meta charset="UTF-8">
<title>${esc(a.title)} - The Field Guide</title>
<link rel="stylesheet" href="css/chrome.css"><script>var path_to_root = "";</script></head>
<body class="sidebar-visible">
<div id="body-container">
<div id="mdbook-help-container"><div id="mdbook-help-popup"><h2 class="mdbook-help-title">${BOOK_HELP[0]}</h2>
<div><p>${BOOK_HELP[1]}</p><p>${BOOK_HELP[2]}</p><p>${BOOK_HELP[3]}</p><p>${BOOK_HELP[4]}</p></div></div></div>
<nav id="sidebar" class="sidebar" aria-label="Table of contents"><div class="sidebar-scrollbox">
<ol class="chapter">${links(chapters)}</ol></div></nav>
<div id="page-wrapper" class="page-wrapper"><div class="page">
<div id="menu-bar" class="menu-bar sticky"><div class="left-buttons">
<button id="theme-toggle" class="icon-button" type="button" title="Change theme">Theme</button>
<ul id="theme-list" class="theme-popup" aria-label="Themes" role="menu">
${THEMES.map((t) => `<li role="none"><button role="menuitem" class="theme">${t}</button></li>`).join('\n')}
</ul></div>
<h1 class="menu-title">The Field Guide</h1>
<div class="right-buttons"><a href="print.html" title="Print this book" aria-label="Print this book">Print this book</a></div></div>
<div id="search-wrapper" class="hidden"><form id="searchbar-outer" class="searchbar-outer">
<input type="search" id="searchbar" name="searchbar" placeholder="Search this book ..."></form>
<div id="searchresults-outer" class="searchresults-outer hidden"><div id="searchresults-header" class="searchresults-header">Search this book ...</div></div></div>
<div id="content" class="content"><main>
${body(a)}
</main>
<nav class="nav-wrapper" aria-label="Page navigation"><a rel="prev" href="/p/1.html" class="mobile-nav-chapters previous" title="Previous chapter">←</a>
<a rel="next" href="/p/2.html" class="mobile-nav-chapters next" title="Next chapter">→</a></nav></div></div></div></div>
<script src="book.js"></script></body></html>`;
  return { html, chrome };
};

const SECTIONS = ['World', 'Politics', 'Business', 'Technology', 'Science', 'Health', 'Sport', 'Culture'];
const COOKIES = [
  'We use cookies to improve your experience, to show you personalised content and to analyse our traffic.',
  'Accept all cookies',
  'Manage preferences',
];
const NEWS_FOOTER = [
  'About us',
  'Contact the newsroom',
  'Privacy policy',
  'Terms of use',
  'Advertise with us',
  '© 2026 The Daily Example. All rights reserved.',
];
const NEWSLETTER = [
  'Get the morning briefing',
  'The stories you need to know, in your inbox every weekday at seven.',
  'Sign up',
];
const SHARE = ['Share on Facebook', 'Share on X', 'Copy link'];
const COMMENTS = [
  'Great article, thanks for sharing this with us!',
  'I drove past there yesterday and saw it for myself.',
  'Does anyone know where to find the full report?',
];

/**
 * A news story's body: an advertisement slot and a "Read more" link between its paragraphs, as
 * news sites put them into the story itself.
 */
function newsBody(a: Article, readMore: string): string {
  const paragraphs = a.paragraphs.map((p) => `<p>${esc(p)}</p>`);
  paragraphs.splice(2, 0, '<div class="ad-slot" aria-hidden="true"><span>Advertisement</span></div>');
  paragraphs.splice(
    4,
    0,
    `<p class="read-more"><strong>Read more:</strong> <a href="/story/x">${esc(readMore)}</a></p>`,
  );
  return `<h1>${esc(a.title)}</h1>\n${paragraphs.join('\n')}`;
}

const news: Render = (a, others, rng) => {
  const related = others.slice(0, 5);
  const author = rng.pick(['Maria Lopez', 'James Okafor', 'Anna Berg', 'Tom Reyes']);
  const byline = `By ${author}, Staff Reporter`;
  const readMore = others[10]?.title ?? '';
  const chrome = [
    'Advertisement',
    `Read more: ${readMore}`,
    `${COMMENTS.length} comments`,
    ...COMMENTS,
    'The Daily Example',
    ...SECTIONS,
    ...COOKIES,
    ...SHARE,
    'Related stories',
    ...related.map((o) => o.title),
    ...NEWSLETTER,
    ...NEWS_FOOTER,
    'Most read',
    ...others.slice(5, 9).map((o) => o.title),
  ];
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(a.title)} | The Daily Example</title>
<meta property="og:title" content="${esc(a.title)}"><meta name="viewport" content="width=device-width">
<script>window.dataLayer=[];</script><style>.banner{position:fixed}</style></head><body>
<div class="cookie-banner" role="dialog" aria-label="Cookie consent"><p>${COOKIES[0]}</p>
<button class="accept">${COOKIES[1]}</button> <button class="manage">${COOKIES[2]}</button></div>
<header class="site-header"><a class="logo" href="/">The Daily Example</a>
<nav class="main-nav"><ul>${links(SECTIONS, (i) => `/section/${i}`)}</ul></nav></header>
<div class="layout"><article class="story">
<div class="share-tools"><ul>${links(SHARE, (i) => `/share/${i}`)}</ul></div>
${newsBody(a, readMore)}
<aside class="related"><h2>Related stories</h2><ul>${links(
    related.map((o) => o.title),
    (i) => `/story/r${i}`,
  )}</ul></aside>
</article>
<section class="comments" id="comments"><h2>${COMMENTS.length} comments</h2>
${COMMENTS.map((c, i) => `<div class="comment"><p class="comment-author">reader${i + 1}</p><p>${c}</p></div>`).join('\n')}</section>
<aside class="sidebar"><h2>Most read</h2><ol>${links(
    others.slice(5, 9).map((o) => o.title),
    (i) => `/story/m${i}`,
  )}</ol>
<div class="newsletter"><h3>${NEWSLETTER[0]}</h3><p>${NEWSLETTER[1]}</p><form><input type="email" placeholder="Email address"><button>${NEWSLETTER[2]}</button></form></div></aside></div>
<footer class="site-footer"><ul>${links(NEWS_FOOTER.slice(0, 5), (i) => `/about/${i}`)}</ul><p>${NEWS_FOOTER[5]}</p></footer>
<script>track("${a.id}")</script></body></html>`;
  // The byline sits between title and text, as on real news pages; it is part of neither list.
  return { html: html.replace('</h1>\n', `</h1>\n<p class="byline">${byline}</p>\n`), chrome };
};

const DOCS_CHROME = [
  'Navigation',
  'index',
  'next',
  'previous',
  'Table of Contents',
  'Previous topic',
  'Next topic',
  'This Page',
  'Show Source',
  'Quick search',
  'Edit on GitHub',
  '© Copyright 2026, The Example Project. Created using Sphinx 7.2.6.',
];

const docs: Render = (a, others) => {
  const toc = others.slice(0, 12).map((o) => o.title);
  const chrome = [...DOCS_CHROME, ...toc, 'Example Project 3.1 documentation'];
  const html = `<!DOCTYPE html>
<html lang="en"><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<title>${esc(a.title)} — Example Project 3.1 documentation</title><script src="_static/doctools.js"></script></head><body>
<div class="related" role="navigation" aria-label="Related"><h3>${DOCS_CHROME[0]}</h3><ul>
<li class="right"><a href="genindex.html">${DOCS_CHROME[1]}</a></li><li class="right"><a href="n.html">${DOCS_CHROME[2]}</a> |</li>
<li class="right"><a href="p.html">${DOCS_CHROME[3]}</a> |</li><li><a href="index.html">Example Project 3.1 documentation</a> »</li></ul></div>
<div class="document"><div class="documentwrapper"><div class="bodywrapper"><div class="body" role="main">
<section id="s">${body(a)}</section>
</div></div></div>
<div class="sphinxsidebar" role="navigation" aria-label="Main"><div class="sphinxsidebarwrapper">
<h3>${DOCS_CHROME[4]}</h3><ul>${links(toc)}</ul>
<h4>${DOCS_CHROME[5]}</h4><p class="topless"><a href="p.html">${esc(toc[0] ?? '')}</a></p>
<h4>${DOCS_CHROME[6]}</h4><p class="topless"><a href="n.html">${esc(toc[1] ?? '')}</a></p>
<div role="note" aria-label="source link"><h3>${DOCS_CHROME[7]}</h3><ul class="this-page-menu"><li><a href="_sources/x.rst.txt">${DOCS_CHROME[8]}</a></li></ul></div>
<div id="searchbox" role="search"><h3 id="searchlabel">${DOCS_CHROME[9]}</h3><form class="search"><input type="text" name="q"><input type="submit" value="Go"></form></div>
<p><a href="https://github.com/example/edit">${DOCS_CHROME[10]}</a></p>
</div></div><div class="clearer"></div></div>
<div class="footer" role="contentinfo">${DOCS_CHROME[11]}</div></body></html>`;
  return { html, chrome };
};

const RENDER: Record<Layout, Render> = { book, news, docs };
export const LAYOUTS: readonly Layout[] = ['book', 'news', 'docs'];

/** Every corpus text once, as a page of each layout in turn (51 pages), the same on every call. */
export function chromePages(seed = 19): ChromePage[] {
  const rng = new Rng(seed);
  const all = corpus();
  return all.map((a, i) => {
    const layout = LAYOUTS[i % LAYOUTS.length] as Layout;
    const others = rng.shuffle(all.filter((o) => o !== a)).slice(0, 20);
    const { html, chrome } = RENDER[layout](a, others, rng);
    const article = [a.title, ...a.paragraphs].join('\n\n');
    return {
      url: `https://${layout}.example.com/${a.id}.html`,
      layout,
      html,
      article,
      chrome: [...new Set(chrome)].filter((line) => !article.includes(line)),
    };
  });
}
