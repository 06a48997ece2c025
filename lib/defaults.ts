/**
 * `options` over `defaults`, where an option explicitly set to undefined (an unset flag passed
 * through) keeps the default instead of erasing it, as a plain spread would.
 */
export function withDefaults<D extends object, O extends object>(defaults: D, options: O): D & O {
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return { ...defaults, ...given } as D & O;
}
