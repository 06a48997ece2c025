// WARC response records and HTML posted to the HTTP endpoint hold pages; the pipeline wants the
// article a reader came for. Readability (Firefox's reader view) on a linkedom DOM picks the main
// content and the title, after the chrome the page marks is removed and within the main landmark
// the page names; the landmark's whole text replaces an article that kept too little of it, and
// the page's visible text is the fallback when Readability finds nothing. html-to-text
// renders either as text: it drops <script>/<style>/<head>; we also drop what is never shown as text
// (images, <noscript>, <template>, inline SVG) and keep link text without the href. Pure functions.

import { Readability } from '@mozilla/readability';
import { compile, type HtmlToTextOptions } from 'html-to-text';
import { parseHTML } from 'linkedom';
import { dropChrome } from './chrome.ts';
import { normalizeWhitespace } from './normalize.ts';

const OPTIONS: HtmlToTextOptions = {
  wordwrap: false,
  decodeEntities: true,
  selectors: [
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'noscript', format: 'skip' },
    { selector: 'template', format: 'skip' },
    { selector: 'svg', format: 'skip' },
    { selector: 'iframe', format: 'skip' },
    // Headings keep their case: upper-casing would change the text's tokens.
    ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } })),
    { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
  ],
};

// Compiled once: compiling the selectors costs more than converting a typical page.
const convert = compile(OPTIONS);

/**
 * The visible text of an HTML page, whitespace cleaned (every normalization step): this text is
 * ipt's own extraction, not a text as given, so the layout left over from markup goes.
 */
export function htmlToText(html: string): string {
  return normalizeWhitespace(convert(html));
}

/** How HTML becomes text: the main content (else the visible text), or always the visible text. */
export type ExtractMode = 'readability' | 'text';
export const EXTRACT_MODES: readonly ExtractMode[] = ['readability', 'text'];

/** Which way a page's text was found: Readability's article, or the visible text (chosen or fallback). */
export type ExtractPath = 'readability' | 'fallback' | 'text';

export interface Extracted {
  text: string;
  path: ExtractPath;
  /** The page's title, when Readability found one. */
  title: string | null;
}

type ReadabilityDocument = ConstructorParameters<typeof Readability>[0];

/** Fewer characters than this is Readability finding nothing usable: the visible text is kept. */
export const MIN_ARTICLE_CHARS = 50;

/**
 * The text of a page: with `readability`, its main content with a title as the first line (the
 * article's opening heading, else the page's title), or its visible text when Readability finds
 * no article, one under MIN_ARTICLE_CHARS, or fails on the page; with `text`, its visible text.
 */
export function extractText(html: string, mode: ExtractMode): Extracted {
  if (mode === 'readability') {
    const article = readArticle(html);
    if (article) return { ...article, path: 'readability' };
  }
  return { text: htmlToText(html), path: mode === 'text' ? 'text' : 'fallback', title: null };
}

function readArticle(html: string): { text: string; title: string | null } | undefined {
  try {
    return articleOf(html);
  } catch {
    // A page the DOM or Readability cannot handle still has its visible text: keep that.
    return undefined;
  }
}

function articleOf(html: string): { text: string; title: string | null } | undefined {
  const { document } = parseHTML(html);
  // Read before Readability, which removes a heading that repeats the title from the document.
  const pageTitleText = normalizeWhitespace(document.title ?? '');
  dropChrome(document);
  const headings = [...document.querySelectorAll('h1')].map((h) => normalizeWhitespace(h.textContent ?? ''));
  const landmark = mainLandmark(document);
  const landmarkWords = wordCount(landmark?.textContent ?? '');
  // A page that says which part is its main content is read there only: on a short page Readability
  // otherwise widens its search to the whole body, headers and action bars included.
  if (landmark?.matches(EXPLICIT_MAIN)) document.body.replaceChildren(landmark);
  // linkedom implements the part of the DOM Readability walks; its types are its own.
  const article = new Readability(document as unknown as ReadabilityDocument).parse();
  if (!article?.content) return undefined;
  let body = htmlToText(article.content);
  if (wordCount(body) < MIN_LANDMARK_SHARE * landmarkWords) body = landmarkText(html) ?? body;
  if (body.length < MIN_ARTICLE_CHARS) return undefined;
  const title = pageTitle(normalizeWhitespace(article.title ?? ''), pageTitleText, headings);
  // An article that opens with its own heading has its title line; otherwise the page's is put first.
  const text = title && !OPENS_WITH_HEADING.test(article.content) ? `${title}\n\n${body}` : body;
  return { text, title };
}

/**
 * Where the page says its main content is: its one `<main>` or ARIA main landmark, else the one
 * element that a site generator's common content id names. Readability scores paragraphs and their
 * near ancestors, so a document of many sections each wrapped twice (manual pages with a long
 * option list) can make one section win alone; the page's own mark holds them all.
 */
const EXPLICIT_MAIN = 'main, [role=main]';
const LANDMARKS = [EXPLICIT_MAIN, '#content', '#main-content', '#main'];

/** Readability keeping fewer of the landmark's words than this share is taken as a section won alone. */
const MIN_LANDMARK_SHARE = 0.7;

type Document = ReturnType<typeof parseHTML>['document'];
type Element = NonNullable<ReturnType<Document['querySelector']>>;

function mainLandmark(document: Document): Element | undefined {
  for (const selector of LANDMARKS) {
    const found = document.querySelectorAll(selector);
    if (found.length === 1) return found[0];
  }
  return undefined;
}

/** The visible text of the page's main landmark, the page's chrome removed first. */
function landmarkText(html: string): string | undefined {
  const { document } = parseHTML(html);
  dropChrome(document);
  const landmark = mainLandmark(document);
  return landmark ? htmlToText(landmark.innerHTML) : undefined;
}

const wordCount = (text: string): number => text.match(/[\p{L}\p{N}]+/gu)?.length ?? 0;

/**
 * The title without the site's name: an <h1> the page's <title> starts with ("Ownership" of
 * "Ownership - The Book": pages name themselves before their site), else the longest one it
 * contains, else Readability's title; null if there is none.
 */
function pageTitle(readable: string, page: string, headings: string[]): string | null {
  const inTitle = headings.filter((h) => h !== '' && page.includes(h)).sort((a, b) => b.length - a.length);
  return inTitle.find((h) => page.startsWith(h)) ?? inTitle[0] ?? (readable || null);
}

/** Readability's content: wrapper elements, then a heading first. */
const OPENS_WITH_HEADING = /^(?:\s*<(?:div|section|article|header|main)\b[^>]*>)*\s*<h[1-6][\s>]/i;

/** `charset=` of a Content-Type header value, if any. */
export function charsetOfContentType(contentType: string | null | undefined): string | null {
  const m = contentType?.match(/charset\s*=\s*["']?([\w.:-]+)/i);
  return m?.[1] ?? null;
}

/**
 * The charset an HTML document declares in its first bytes (`<meta charset>` or the http-equiv
 * form), as the HTML standard's prescan looks for it; ASCII-compatible declarations only.
 */
export function charsetOfHtmlHead(head: Uint8Array): string | null {
  const text = Buffer.from(head.subarray(0, 2048)).toString('latin1');
  const direct = text.match(/<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)/i);
  return direct?.[1] ?? null;
}

/** A body's charset: its Content-Type's, else (HTML) the page's own declaration, else UTF-8. */
export function charsetOf(body: Uint8Array, contentType: string | null | undefined): string {
  return (
    charsetOfContentType(contentType) ?? (isHtml(contentType) ? charsetOfHtmlHead(body) : null) ?? 'utf-8'
  );
}

/** Media types whose body is a page of text we can read. */
export function isHtml(contentType: string | null | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'text/html' || type === 'application/xhtml+xml';
}

export function isPlainText(contentType: string | null | undefined): boolean {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() === 'text/plain';
}
