// normalize: the clean-ups a user opted into (`--normalize`), always in their fixed order. In the
// pipeline only when some are on: texts are kept as given by default, because the method prompts
// the synthesizer with the raw text. A text they changed names them in `metadata.normalized`.

import { applyNamedSteps, type NormalizeStep } from '../normalize.ts';
import { keep, type Step, withText } from './step.ts';

export function normalizeStep(named: readonly NormalizeStep[]): Step {
  return {
    name: 'normalize',
    pure: true,
    process(doc) {
      const { text, steps } = applyNamedSteps(doc.text, named);
      if (steps.length === 0) return keep(doc);
      return keep({ ...withText(doc, text), metadata: { ...doc.metadata, normalized: steps.join(',') } });
    },
  };
}
