// validity: is the decoded text text at all. NUL or too many control characters is `binary`, a lone
// UTF-16 surrogate (from a JSON escape: no UTF-8 form) is `invalid_utf8`, and a text so long that
// no normalization could bring it under the limit is `too_long` (checked here, before the
// normalization passes would spend time on it). Runs before normalize: its `controls` step would
// otherwise hide what makes a blob binary.

import { checkText, type NormalizeOptions } from '../normalize.ts';
import { keep, rejectAt, type Step } from './step.ts';

export function validityStep(options: NormalizeOptions): Step {
  return {
    name: 'validity',
    pure: true,
    process(doc) {
      const checked = checkText(doc.text, options);
      return checked === true ? keep(doc) : rejectAt(doc, checked);
    },
  };
}
