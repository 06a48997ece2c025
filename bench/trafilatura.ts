// trafilatura (RefinedWeb's extractor, the project venv's: triton/requirements.txt) on a list of
// pages, in a child Python: the body as `bare_extraction` gives it, its metadata title, and the
// fastest of `repeats` passes over the pages in seconds.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const PYTHON = join(import.meta.dirname, '../.venv/bin/python');

const SCRIPT = `
import json, sys, time, trafilatura
args = json.load(sys.stdin)
seconds = float("inf")
for _ in range(args["repeats"]):
    start = time.perf_counter()
    docs = [trafilatura.bare_extraction(html, include_comments=False, with_metadata=True) for html in args["pages"]]
    seconds = min(seconds, time.perf_counter() - start)
print(json.dumps({
    "bodies": [((d.text if d else '') or '') for d in docs],
    "titles": [((d.title if d else '') or '') for d in docs],
    "seconds": seconds,
    "version": trafilatura.__version__,
}))
`;

export interface TrafilaturaRun {
  bodies: string[];
  titles: string[];
  seconds: number;
  version: string;
}

export function trafilatura(pages: readonly string[], repeats: number): TrafilaturaRun {
  const run = spawnSync(PYTHON, ['-c', SCRIPT], {
    input: JSON.stringify({ pages, repeats }),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (run.status !== 0)
    throw new Error(`trafilatura failed (is it in .venv? ipt stack fetch installs it): ${run.stderr}`);
  return JSON.parse(run.stdout) as TrafilaturaRun;
}
