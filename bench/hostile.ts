// Hostile clients against ipt's servers, each a child process on fresh topics with its default
// limits: `node bin/run-ts.js bench/hostile.ts [--write] [--sections ingest,tap]`. Each section
// (bench/hostile-ingest.ts: `ipt ingest --serve`; bench/hostile-tap.ts: `ipt tap`) measures, per
// attack, a legitimate client's latency against a baseline of the same run, the server's RSS, how
// the attackers were cut off and whether anything accepted was lost; --write puts the sections run
// into bench/RESULTS.md, keeping the others.

import { ingestUnderAttack } from './hostile-ingest.ts';
import { tapUnderAttack } from './hostile-tap.ts';
import { machine } from './proc.ts';
import { writeResultsBlock } from './results.ts';

const SECTIONS = { ingest: ingestUnderAttack, tap: tapUnderAttack };
type Name = keyof typeof SECTIONS;

const at = process.argv.indexOf('--sections');
const names = (at >= 0 ? (process.argv[at + 1] ?? '') : Object.keys(SECTIONS).join(',')).split(',');
for (const name of names)
  if (!(name in SECTIONS)) throw new Error(`--sections: unknown section "${name}" (ingest, tap)`);

const sections: string[] = [];
let lost = 0;
for (const name of names as Name[]) {
  const result = await SECTIONS[name]();
  sections.push(result.section);
  lost += result.lost;
}

const m = machine();
const head = `## Hostile clients against ingest's HTTP endpoint and the tap (bench/hostile.ts) — 2026-12-06

${m.cores} × ${m.cpu}, Node ${m.node}.`;
if (process.argv.includes('--write'))
  writeResultsBlock(
    'hostile',
    [head, ...sections].join('\n\n'),
    names.length === Object.keys(SECTIONS).length,
  );
// Attackers whose SYN a full accept backlog dropped are still being retried by the kernel and
// would hold the process open for minutes.
process.exit(lost > 0 ? 1 : 0);
