// How deeply a JSON text nests, found before it is parsed. JSON.parse builds any depth it is given
// (a 16 MiB body of `[` is sixteen million nested arrays, hundreds of MiB of heap), and the
// recursive code that later walks the value (JSON.stringify among it) overflows the stack on it;
// no document or tap message nests more than a few levels, so deeper input is refused unread.

/** Deepest nesting of objects and arrays ipt takes from a client. */
export const DEFAULT_MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** How each character outside a string changes the depth: +1 for `{` `[`, −1 for `}` `]`. */
const DEPTH_STEP = new Int8Array(128);
DEPTH_STEP[0x7b] = DEPTH_STEP[0x5b] = 1;
DEPTH_STEP[0x7d] = DEPTH_STEP[0x5d] = -1;

/**
 * Whether `json` nests objects/arrays deeper than `maxDepth` (brackets inside strings do not count).
 * Only nesting is looked at; whether the text is valid JSON is JSON.parse's to say.
 */
export function nestsDeeperThan(json: string | Uint8Array, maxDepth: number): boolean {
  const at = typeof json === 'string' ? (i: number) => json.charCodeAt(i) : (i: number) => json[i] as number;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = at(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else {
      depth += DEPTH_STEP[c] ?? 0;
      if (depth > maxDepth) return true;
    }
  }
  return false;
}
