// core/ is the method and nothing else: no Kafka, HTTP, file or network imports. The one
// exception is core/mistral.ts, which loads the tokenizer package and reads its vocabulary files.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const MISTRAL_LOADER = ['node:module', 'node:fs', 'node:path'];
const ROOT = join(import.meta.dirname, '../../core');
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );

describe('core/ purity', () => {
  it('imports only core modules (and the loader modules in mistral.ts)', () => {
    for (const f of files(ROOT)) {
      const rel = relative(ROOT, f);
      const specs = [
        ...readFileSync(f, 'utf8').matchAll(/^\s*(?:import|export)[^'"]*from\s+'([^']+)'/gm),
      ].map((m) => m[1]);
      for (const s of specs) {
        const ok =
          s?.startsWith('./') ||
          s?.startsWith('../') ||
          (rel === 'mistral.ts' && MISTRAL_LOADER.includes(s ?? ''));
        expect(ok, `${rel} imports ${s}`).toBe(true);
      }
    }
  });
});
