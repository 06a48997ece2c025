/**
 * Version of the template set. Every SynthRound's run and every AugmentedRecord carries it:
 * bump it whenever any wording, weight or PRNG draw order below changes, since rendered texts
 * are only reproducible from (chain, seed, version).
 */
export const TEMPLATE_VERSION = 'ipt-templates-1';
