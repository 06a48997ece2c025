// length: the text as it will be stored (after normalize) is not empty or whitespace-only
// (`empty_text`) and has between `minChars` and `maxChars` code points (`too_short`, `too_long`).

import { checkLength, type NormalizeOptions } from '../normalize.ts';
import { keep, rejectAt, type Step } from './step.ts';

export function lengthStep(options: NormalizeOptions): Step {
  return {
    name: 'length',
    pure: true,
    process(doc) {
      const checked = checkLength(doc.text, options);
      return checked === true ? keep(doc) : rejectAt(doc, checked);
    },
  };
}
