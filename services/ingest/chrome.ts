// A page's chrome, taken out before Readability scores the page: what the page marks as chrome
// (sectioning elements, ARIA landmark roles, generators' class names) and the navigation that no
// element marks (pagers, bare link bars). Works on a linkedom document in place.

import type { parseHTML } from 'linkedom';

type Document = ReturnType<typeof parseHTML>['document'];
type Element = NonNullable<ReturnType<Document['querySelector']>>;

/**
 * A site's chrome, marked as such by the page: HTML's sectioning for navigation, page headers and
 * footers and asides, ARIA landmark roles, and the class names generators give their navigation
 * bars, sidebars and footers. Readability scores these like text when they hold many words (a
 * documentation sidebar, a theme picker, a footer of licence lines); taken out first, they cannot
 * win or join the article.
 */
const CHROME = [
  'nav',
  'aside',
  'body > header',
  'body > footer',
  '[role=navigation]',
  '[role=banner]',
  '[role=contentinfo]',
  '[role=search]',
  '[role=complementary]',
  '[role=dialog]',
  '[aria-hidden=true]',
  '.sphinxsidebar',
  '.related',
  '.footer',
  '#footer',
  '.navheader',
  '.navfooter',
  '.navbar',
  '.breadcrumb',
  '.breadcrumbs',
  // Permalink anchors beside headings (Sphinx, MkDocs) and a page's language bar (Apache's manual).
  '.headerlink',
  '.toplang',
  '.bottomlang',
].join(',');

export function dropChrome(document: Document): void {
  for (const element of [...document.querySelectorAll(CHROME)]) element.remove();
  for (const list of [...document.querySelectorAll('ul, ol')]) if (isPager(list)) list.remove();
  for (const node of linkBarOf(document.body)) node.remove();
}

/** Text between the links of a bar: brackets, bars, dots and spaces only. */
const BAR_GLUE = /^[\s[\]|·•»«/,]*$/;

/**
 * Links set side by side straight in the body with nothing but brackets or bars between them
 * ("[Prev][Next][Index]"): a navigation bar its generator put in no element, so no selector names it.
 * Returns the nodes of each run of three or more such links.
 */
function linkBarOf(body: Element): Element['childNodes'][number][] {
  const found: Element['childNodes'][number][] = [];
  let run: Element['childNodes'][number][] = [];
  let links = 0;
  const close = () => {
    if (links >= 3) found.push(...run);
    run = [];
    links = 0;
  };
  for (const node of [...body.childNodes]) {
    if (node.nodeType === 1 && (node as Element).tagName === 'A') {
      run.push(node);
      links++;
    } else if (node.nodeType === 3 && BAR_GLUE.test(node.textContent ?? '')) run.push(node);
    else close();
  }
  close();
  return found;
}

/** An item that points to the page before or after this one ("Prev by Date: …", "Next topic: …"). */
const PAGER_ITEM = /^[\s«←‹<]*(?:prev|previous|next|older|newer)\b/i;

/**
 * A list that is a pager rather than content: most of its items lead to the previous or next page.
 * Archives, blogs and forums put one under each message or post, where no element marks it.
 */
function isPager(list: Element): boolean {
  const items = [...list.children].filter((child) => child.tagName === 'LI');
  const pointers = items.filter((item) => PAGER_ITEM.test(item.textContent ?? '') && item.querySelector('a'));
  return pointers.length >= 2 && pointers.length * 2 >= items.length;
}
