// extract: an HTML page (a WARC response, a text/html body posted to the HTTP endpoint) becomes the
// text a reader came for — its main content and title by Readability, else the page's visible text
// — before any check sees it. Other documents pass as they are. Each page is counted by the way
// its text was found (`readability`, `fallback`, or `text` when main-content extraction is off).

import { type ExtractMode, extractText } from '../html.ts';
import { keep, type Step, withText } from './step.ts';

export function extractStep(mode: ExtractMode): Step {
  return {
    name: 'extract',
    pure: true,
    process(doc) {
      if (!doc.html) return keep(doc);
      const { text, path, title } = extractText(doc.text, mode);
      const metadata = title ? { ...doc.metadata, title } : doc.metadata;
      const extracted = {
        ...withText(doc, text),
        html: false,
        mainContent: path === 'readability',
        metadata,
      };
      return { kind: 'keep', doc: extracted, detail: { path }, how: path };
    },
  };
}
