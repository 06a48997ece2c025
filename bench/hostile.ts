// Hostile clients against `ipt ingest --serve` (a child process on fresh topics, default limits but
// --request-timeout-ms 15000 so a run takes a minute): `node bin/run-ts.js bench/hostile.ts [--write]`.
// Per attack: a legitimate client's POST latency p50/p99 during it against a baseline measured in
// the same run (the stated limit: ×1 = unharmed), the server's RSS before/peak/after, how the
// attackers were cut off (status, after how long) and how many accepted documents are missing
// from Kafka (must be 0).

import { readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { loadEndpoints } from '../lib/endpoints.ts';
import { freshTopics } from '../tests/helpers/pipeline-topics.ts';
import { readDecoded } from '../tests/helpers/read-topic.ts';
import { spawnIpt } from '../tests/helpers/service-process.ts';
import { machine, sleep } from './proc.ts';
import { fmt, quantile, ranLine, writeResultsBlock } from './results.ts';
import { benchKafka, freePort, namespaceOf } from './services.ts';

const TOKEN = 'bench-hostile-token';
const endpoints = loadEndpoints();
const topics = await freshTopics('bench-hostile');
const port = await freePort();
const opsPort = await freePort();
const proc = spawnIpt(
  [
    'ingest',
    '--serve',
    '--port',
    String(port),
    '--ops-port',
    String(opsPort),
    '--token',
    TOKEN,
    '--topic-namespace',
    namespaceOf(topics),
    '--no-language-filter',
    '--no-quality',
    '--request-timeout-ms',
    '15000',
  ],
  'ingest',
);
const url = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  if ((await fetch(`http://127.0.0.1:${opsPort}/readyz`).catch(() => undefined))?.ok) break;
  if (i > 480) throw new Error(`ingest not ready:\n${proc.tail()}`);
  await sleep(250);
}

/** RSS of the service's process group (bin/ipt.js and the node it runs), MiB. */
function rss(): number {
  let kb = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) !== proc.pid) continue;
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${name}/status`, 'utf8'))?.[1] ?? 0);
    } catch {}
  }
  return kb / 1024;
}

const accepted: string[] = [];
let doc = 0;
let legitFailures = 0;
/**
 * Legitimate POSTs, one after another, until `stop()`; their latencies in ms. A request that fails on
 * a connection the server closed (a kept-alive one, or one pushed out past the connection cap) is
 * retried, as an HTTP client must; the retries are counted.
 */
async function legitimate(stop: () => boolean): Promise<number[]> {
  const ms: number[] = [];
  while (!stop()) {
    const t = performance.now();
    const body = JSON.stringify({
      text: `Legitimate document number ${doc++}. ${'The quick brown fox jumps. '.repeat(30)}`,
    });
    const post = () =>
      fetch(`${url}/documents`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body,
      });
    let res: Response | undefined;
    for (let attempt = 0; !res; attempt++) {
      res = await post().catch(async (error: Error) => {
        if (attempt >= 20) throw error;
        legitFailures++;
        await sleep(50);
        return undefined;
      });
    }
    const answer = (await res.json()) as { results?: { status: string; doc_id: string }[] };
    ms.push(performance.now() - t);
    for (const r of answer.results ?? []) if (r.status === 'accepted') accepted.push(r.doc_id);
  }
  return ms;
}

interface Cut {
  status: string;
  afterMs: number;
}
/** An attacking connection: what it sends, then what the server answered and when it closed. */
function attacker(onOpen: (s: Socket) => void): Promise<Cut> {
  return new Promise((resolve) => {
    const t = performance.now();
    const s = connect(port, '127.0.0.1', () => onOpen(s));
    let got = '';
    s.on('data', (d) => {
      got += d.toString('latin1');
    });
    s.on('error', () => {});
    s.on('close', () =>
      resolve({ status: /^HTTP\/1\.1 (\d{3})/.exec(got)?.[1] ?? 'closed', afterMs: performance.now() - t }),
    );
  });
}
const trickle = (s: Socket, text: string) => {
  const timer = setInterval(() => (s.writable ? s.write(text) : clearInterval(timer)), 1_000);
  s.once('close', () => clearInterval(timer));
};

interface Row {
  attack: string;
  p50: number;
  p99: number;
  n: number;
  retried: number;
  rss: [number, number, number];
  cut: string;
}
const rows: Row[] = [];
async function run(attack: string, launch: () => Promise<Cut>[]): Promise<void> {
  const before = rss();
  const failuresBefore = legitFailures;
  let peak = before;
  let done = false;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rss());
  }, 200);
  const t0 = performance.now();
  const cuts = launch();
  const legit = legitimate(() => done);
  // A connection neither answered nor closed within 30 s counts as such (a SYN the kernel dropped
  // from a full backlog is retried by the client's kernel for minutes).
  const bounded = cuts.map((c) =>
    Promise.race([c, sleep(30_000).then(() => ({ status: 'open at 30 s', afterMs: 30_000 }))]),
  );
  const results = await Promise.all(bounded);
  done = true;
  const ms = await legit;
  clearInterval(sampler);
  await sleep(1_000);
  const byStatus = new Map<string, number[]>();
  for (const c of results) byStatus.set(c.status, [...(byStatus.get(c.status) ?? []), c.afterMs]);
  const cut = [...byStatus]
    .map(([status, after]) => `${after.length} × ${status} after ${fmt(quantile(after, 0.5) / 1000)} s (p50)`)
    .join(', ');
  rows.push({
    attack,
    p50: quantile(ms, 0.5),
    p99: quantile(ms, 0.99),
    n: ms.length,
    retried: legitFailures - failuresBefore,
    rss: [before, peak, rss()],
    cut,
  });
  console.log(
    `${attack}: ${ms.length} legit requests p50 ${fmt(quantile(ms, 0.5))} ms p99 ${fmt(quantile(ms, 0.99))} ms; RSS ${fmt(before)} / ${fmt(peak)} / ${fmt(rss())} MiB; ${cut}; ${fmt((performance.now() - t0) / 1000)} s`,
  );
}
const many = (n: number, f: () => Promise<Cut>) => Array.from({ length: n }, f);

// Baseline: the same legitimate client alone for 3 s.
await run('none (baseline)', () => [sleep(3_000).then(() => ({ status: 'none', afterMs: 0 }))]);
await run('500 slow headers (a header line a second)', () =>
  many(500, () =>
    attacker((s) => {
      s.write('POST /documents HTTP/1.1\r\nHost: x\r\n');
      trickle(s, 'X-Slow: 1\r\n');
    }),
  ),
);
await run('500 slow bodies (a byte a second)', () =>
  many(500, () =>
    attacker((s) => {
      s.write(
        `POST /documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\ncontent-type: application/json\r\nContent-Length: 100000\r\n\r\n[`,
      );
      trickle(s, ' ');
    }),
  ),
);
await run('2 000 bad tokens (100 at a time)', () =>
  many(100, async () => {
    let last: Cut = { status: 'none', afterMs: 0 };
    for (let i = 0; i < 20; i++) {
      last = await attacker((s) =>
        s.write(
          `POST /documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer guess${i}\r\ncontent-type: application/json\r\nContent-Length: 2\r\n\r\n{}`,
        ),
      );
    }
    return last;
  }),
);
await run('20 bodies of 20 MiB (over the 16 MiB limit)', () =>
  many(20, () =>
    attacker((s) => {
      s.write(
        `POST /documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\ncontent-type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
      );
      const chunk = `100000\r\n${'a'.repeat(0x100000)}\r\n`;
      for (let i = 0; i < 20; i++) s.write(chunk);
    }),
  ),
);
await run('50 bodies nested 1 000 000 deep (2 MB each)', () =>
  many(50, () =>
    attacker((s) => {
      const body = `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`;
      s.write(
        `POST /documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\ncontent-type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
    }),
  ),
);
await run('5 000 idle connections', () => many(5_000, () => attacker(() => {})));

await sleep(2_000);
const raw = await readDecoded<{ doc_id: string }>(benchKafka, endpoints.registry.url, topics.raw);
const inKafka = new Set(raw.map((r) => r.doc_id));
const lost = accepted.filter((id) => !inKafka.has(id)).length;
await proc.stop();
console.log(`accepted ${accepted.length}, lost ${lost}`);

const base = rows[0] as Row;
const m = machine();
const text = `## Hostile clients against ingest's HTTP endpoint (bench/hostile.ts) — 2026-12-06

### Ingest under attack

${ranLine('bench/hostile.ts')} ${m.cores} × ${m.cpu}, Node ${m.node}; polyglot, 2 cores, shared with other work. \`ipt ingest --serve\` as a child process on the default limits (headers 10 s, keep-alive 5 s, idle 30 s, 1 024 connections, 16 KiB headers, 16 MiB body, JSON depth 64) except a request timeout of 15 s; attackers and the legitimate client (one small JSON document per POST, one after another) in the bench process. Latency ratio = p50 during the attack ÷ p50 of the baseline measured first in the same run. ${accepted.length} documents accepted in all, ${lost} missing from Kafka.

| attack | legit requests (retried) | p50 ms | p99 ms | p50 × baseline | RSS MiB before / peak / after | attackers cut off |
| ------ | ------------------------ | ------ | ------ | -------------- | ----------------------------- | ----------------- |
${rows.map((r) => `| ${r.attack} | ${r.n} (${r.retried}) | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.p50 / base.p50, 2)} | ${r.rss.map((x) => fmt(x, 0)).join(' / ')} | ${r.cut} |`).join('\n')}
`;
if (process.argv.includes('--write')) writeResultsBlock('hostile', text, true);
if (lost > 0) process.exitCode = 1;
