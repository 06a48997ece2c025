/**
 * Versions of the template set. Every SynthRound's run and every AugmentedRecord carries one:
 * add a version whenever any wording, weight or PRNG draw order changes, since rendered texts
 * are only reproducible from (chain, seed, version). Old versions stay so old runs can be
 * rendered again exactly as they were.
 */
export const TEMPLATE_VERSIONS = ['ipt-templates-1', 'ipt-templates-2', 'ipt-templates-3'] as const;
export type TemplateVersion = (typeof TEMPLATE_VERSIONS)[number];

/** The set new runs record (the one default for every service and command). */
export const TEMPLATE_VERSION: TemplateVersion = 'ipt-templates-3';

export function isTemplateVersion(v: string): v is TemplateVersion {
  return (TEMPLATE_VERSIONS as readonly string[]).includes(v);
}

/** One line saying that `v` is not a template set this build has, and which it has. */
export function unknownTemplateVersion(v: string, what = 'template version'): string {
  return `${what} ${JSON.stringify(v)} is not available (this build has ${TEMPLATE_VERSIONS.join(', ')})`;
}

/** `v` itself if it names a template set of this build; otherwise throws (one line). */
export function checkTemplateVersion(v: string, what?: string): TemplateVersion {
  if (!isTemplateVersion(v)) throw new Error(unknownTemplateVersion(v, what));
  return v;
}
