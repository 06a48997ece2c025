// WARC response records hold HTML; the pipeline wants the text a reader would see. html-to-text
// drops <script>/<style>/<head>; we also drop what is never shown as text (images, <noscript>,
// <template>, inline SVG) and keep link text without the href. Pure functions.

import { compile, type HtmlToTextOptions } from 'html-to-text';
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

/** Media types whose body is a page of text we can read. */
export function isHtml(contentType: string | null | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'text/html' || type === 'application/xhtml+xml';
}

export function isPlainText(contentType: string | null | undefined): boolean {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() === 'text/plain';
}
