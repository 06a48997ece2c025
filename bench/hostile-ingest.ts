// Hostile clients against `ipt ingest --serve` (a child process on fresh topics, default limits but
// --request-timeout-ms 15000 so a run takes a minute). Per attack: a legitimate client's POST
// latency p50/p99 during it against a baseline measured in the same run (the stated limit: ×1 =
// unharmed), the server's RSS before/peak/after, how the attackers were cut off (status, after how
// long) and how many accepted documents are missing from Kafka (must be 0).

import { connect, type Socket } from 'node:net';
import { loadEndpoints } from '../lib/endpoints.ts';
import { freshTopics } from '../tests/helpers/pipeline-topics.ts';
import { slowHeaders, trickle } from '../tests/helpers/raw-socket.ts';
import { readDecoded } from '../tests/helpers/read-topic.ts';
import { spawnIpt } from '../tests/helpers/service-process.ts';
import { type Attack, attackTable, baseline, type Cut, many, measureAttacks } from './hostile-measure.ts';
import { sleep } from './proc.ts';
import { ranLine } from './results.ts';
import { benchKafka, freePort, namespaceOf, waitReady } from './services.ts';

const TOKEN = 'bench-hostile-token';

export async function ingestUnderAttack(): Promise<{ section: string; lost: number }> {
  const endpoints = loadEndpoints();
  const topics = await freshTopics('bench-hostile');
  const port = await freePort();
  const opsPort = await freePort();
  const proc = spawnIpt(
    [
      ...['ingest', '--serve', '--port', String(port), '--ops-port', String(opsPort), '--token', TOKEN],
      ...['--topic-namespace', namespaceOf(topics), '--no-language-filter', '--no-quality'],
      ...['--request-timeout-ms', '15000'],
    ],
    'ingest',
  );
  await waitReady([{ name: 'ingest', proc, opsPort: opsPort }]);

  const legit = legitimatePoster(`http://127.0.0.1:${port}`);
  const rows = await measureAttacks('ingest', proc.pid, ingestAttacks(port), legit.run, () => legit.retried);

  await sleep(2_000);
  const raw = await readDecoded<{ doc_id: string }>(benchKafka, endpoints.registry.url, topics.raw);
  const inKafka = new Set(raw.map((r) => r.doc_id));
  const lost = legit.accepted.filter((id) => !inKafka.has(id)).length;
  await proc.stop();
  console.log(`ingest: accepted ${legit.accepted.length}, lost ${lost}`);

  const section = `### Ingest under attack

${ranLine('bench/hostile.ts')} \`ipt ingest --serve\` as a child process on the default limits (headers 10 s, keep-alive 5 s, idle 30 s, 1 024 connections, 16 KiB headers, 16 MiB body, JSON depth 64) except a request timeout of 15 s; attackers and the legitimate client (one small JSON document per POST, one after another) in the bench process. Latency ratio = p50 during the attack ÷ p50 of the baseline measured first in the same run. ${legit.accepted.length} documents accepted in all, ${lost} missing from Kafka.

${attackTable(rows, 'legit requests (retried)', (r) => `${r.n} (${r.retried})`)}`;
  return { section, lost };
}

/**
 * Legitimate POSTs, one after another, until `stop()`; `run` returns their latencies in ms. A request
 * that fails on a connection the server closed (a kept-alive one, or one pushed out past the
 * connection cap) is retried, as an HTTP client must; the retries are counted.
 */
function legitimatePoster(url: string) {
  const state = { accepted: [] as string[], retried: 0, run };
  let doc = 0;
  const post = (body: string) =>
    fetch(`${url}/documents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body,
    });
  async function run(stop: () => boolean): Promise<number[]> {
    const ms: number[] = [];
    while (!stop()) {
      const t = performance.now();
      const body = JSON.stringify({
        text: `Legitimate document number ${doc++}. ${'The quick brown fox jumps. '.repeat(30)}`,
      });
      let res: Response | undefined;
      for (let attempt = 0; !res; attempt++) {
        res = await post(body).catch(async (error: Error) => {
          if (attempt >= 20) throw error;
          state.retried++;
          await sleep(50);
          return undefined;
        });
      }
      const answer = (await res.json()) as { results?: { status: string; doc_id: string }[] };
      ms.push(performance.now() - t);
      for (const r of answer.results ?? []) if (r.status === 'accepted') state.accepted.push(r.doc_id);
    }
    return ms;
  }
  return state;
}

/** An attacking connection: what it sends, then what the server answered and when it closed. */
function attacker(port: number, onOpen: (s: Socket) => void): Promise<Cut> {
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

const post = (headers: string) =>
  `POST /documents HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n${headers}\r\n`;
const AUTH = `Authorization: Bearer ${TOKEN}\r\n`;

function ingestAttacks(port: number): Attack[] {
  const attack = (onOpen: (s: Socket) => void) => attacker(port, onOpen);
  const deep = `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`;
  return [
    baseline(3_000),
    {
      name: '500 slow headers (a header line a second)',
      launch: () => many(500, () => attack((s) => slowHeaders(s, 'POST /documents HTTP/1.1\r\nHost: x\r\n'))),
    },
    {
      name: '500 slow bodies (a byte a second)',
      launch: () =>
        many(500, () =>
          attack((s) => {
            s.write(`${post(`${AUTH}Content-Length: 100000\r\n`)}[`);
            trickle(s, ' ', 1_000);
          }),
        ),
    },
    {
      name: '2 000 bad tokens (100 at a time)',
      launch: () =>
        many(100, async () => {
          let last: Cut = { status: 'none', afterMs: 0 };
          for (let i = 0; i < 20; i++)
            last = await attack((s) =>
              s.write(`${post(`Authorization: Bearer guess${i}\r\nContent-Length: 2\r\n`)}{}`),
            );
          return last;
        }),
    },
    {
      name: '20 bodies of 20 MiB (over the 16 MiB limit)',
      launch: () =>
        many(20, () =>
          attack((s) => {
            s.write(post(`${AUTH}Transfer-Encoding: chunked\r\n`));
            const chunk = `100000\r\n${'a'.repeat(0x100000)}\r\n`;
            for (let i = 0; i < 20; i++) s.write(chunk);
          }),
        ),
    },
    {
      name: '50 bodies nested 1 000 000 deep (2 MB each)',
      launch: () =>
        many(50, () =>
          attack((s) =>
            s.write(`${post(`${AUTH}Content-Length: ${deep.length}\r\nConnection: close\r\n`)}${deep}`),
          ),
        ),
    },
    { name: '5 000 idle connections', launch: () => many(5_000, () => attack(() => {})) },
  ];
}
