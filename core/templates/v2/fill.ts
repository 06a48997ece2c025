// Placeholders in ipt-templates-2 wording: `{name}` in a template is replaced by a value in one
// pass, so a `{…}` inside a value (a question that quotes braces) is never replaced again.

const SLOT = /\{(\w+)\}/g;

export function fill(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(SLOT, (whole, name: string) => {
    const v = values[name];
    if (v === undefined)
      throw new Error(`template slot ${whole} has no value in: ${JSON.stringify(template)}`);
    return v;
  });
}

/** Every template of `parts` combined with every other: the cross product, in order. */
export function product<A, B, C>(as: readonly A[], bs: readonly B[], make: (a: A, b: B) => C): C[] {
  return as.flatMap((a) => bs.map((b) => make(a, b)));
}
