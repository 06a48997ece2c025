// The dedup stage's protocol, pure: partitions exchange messages through a simulated topic whose
// per-partition queues are drained in a random order (seeded), so documents of one near-duplicate
// group are decided "at the same moment" in different partitions in every way the order allows.
// Whatever the order: every document is decided, no two kept documents are exact or LSH
// near-duplicates, and every dropped one names a kept document.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../core/prng.ts';
import type { DedupMessage, DedupState } from '../../core/types.ts';
import { DedupPartition, type DedupSettings, type Effect } from '../../services/dedup/decide.ts';
import { contentHash } from '../../services/ingest/ids.ts';
import {
  bandKeys,
  lshShape,
  signature,
  signatureBytes,
  signatureFromBytes,
  similarity,
} from '../../services/ingest/minhash.ts';

const settings: DedupSettings = {
  threshold: 0.8,
  params: lshShape(0.8),
  docWindow: 10_000,
  bandWindow: 100_000,
};

const demo = readFileSync(new URL('../../demo/corpus/sample.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((line) => (JSON.parse(line) as { text: string }).text)
  .filter((t) => t.split(' ').length > 150);

/** `text` with `n` words near its end replaced: each edit costs a few shingles, so a step stays above 0.8. */
function edited(text: string, n: number, salt: string): string {
  const words = text.split(' ');
  for (let i = 0; i < n; i++) words[words.length - 5 - i * 7] = `${salt}${i}`;
  return words.join(' ');
}

interface Doc {
  id: string;
  text: string;
}

/** Groups: a base, its exact copies, and a chain A ≈ B ≈ C of growing edits. */
function corpus(groups: number): Doc[] {
  const docs: Doc[] = [];
  for (let g = 0; g < groups; g++) {
    const base = demo[g % demo.length] as string;
    const a = g < demo.length ? base : edited(base, 40, `g${g}w`);
    const b = edited(a, 2, 'x');
    const c = edited(b, 4, 'y');
    docs.push({ id: `g${g}-a`, text: a }, { id: `g${g}-a-copy`, text: a }, { id: `g${g}-b`, text: b });
    docs.push({ id: `g${g}-c`, text: c }, { id: `g${g}-b-copy`, text: b });
  }
  return docs;
}

const candidate = (doc: Doc): DedupMessage => ({
  kind: 'CANDIDATE',
  hash: contentHash(doc.text),
  doc_id: doc.id,
  records: [Buffer.from(doc.id)],
  signature: signatureBytes(signatureOf(doc.text)),
  origin: doc.id,
  band: null,
  band_key: null,
  claims: [],
  peers: [],
  peer_hash: null,
  peer_doc_id: null,
  status: null,
  similarity: null,
});

/**
 * Runs the protocol over `partitions` partitions in a seeded random order. As in Kafka, a message
 * is in flight until delivered, and only what one partition sends to another keeps its order:
 * claims of two documents may reach two band partitions in opposite orders.
 */
function run(docs: Doc[], partitions: number, seed: number) {
  const random = mulberry32(seed);
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)] as T;
  const partitionOf = (key: string) => Number.parseInt(contentHash(key).slice(0, 8), 16) % partitions;
  // The partitions group a document's band keys by owner with the same partitioner the topic uses.
  const grouped = { ...settings, partitionOf: (key: string) => partitionOf(key) };
  const parts = Array.from({ length: partitions }, () => new DedupPartition(grouped));
  const queues: DedupMessage[][] = Array.from({ length: partitions }, () => []);
  const channels = new Map<string, { to: number; messages: DedupMessage[] }>();
  const send = (from: string, m: DedupMessage, key: string) => {
    const to = partitionOf(key);
    const channel = channels.get(`${from}>${to}`) ?? { to, messages: [] };
    channel.messages.push(m);
    channels.set(`${from}>${to}`, channel);
  };
  const kept: string[] = [];
  const dropped: Extract<Effect, { kind: 'drop' }>[] = [];
  const candidates = docs.map(candidate);
  for (;;) {
    const inFlight = [...channels.values()].filter((c) => c.messages.length > 0);
    const busy = queues.map((q, i) => (q.length > 0 ? i : -1)).filter((i) => i >= 0);
    const moves = [
      ...(candidates.length > 0 ? ['ingest'] : []),
      ...(inFlight.length > 0 ? ['deliver'] : []),
      ...(busy.length > 0 ? ['process'] : []),
    ];
    if (moves.length === 0) break;
    const move = pick(moves);
    if (move === 'ingest') {
      const next = candidates.shift() as DedupMessage;
      send(`ingest${Math.floor(random() * 2)}`, next, next.hash);
    } else if (move === 'deliver') {
      const channel = pick(inFlight);
      queues[channel.to]?.push(channel.messages.shift() as DedupMessage);
    } else {
      const p = pick(busy);
      const m = queues[p]?.shift() as DedupMessage;
      for (const effect of (parts[p] as DedupPartition).handle(m)) {
        if (effect.kind === 'send') send(`p${p}`, effect.message, effect.key);
        else if (effect.kind === 'keep') kept.push(effect.docId);
        else if (effect.kind === 'drop') dropped.push(effect);
      }
    }
  }
  return { kept, dropped, pending: parts.reduce((n, p) => n + p.pending, 0) };
}

const signatures = new Map<string, Uint32Array>();
const signatureOf = (text: string): Uint32Array => {
  let sig = signatures.get(text);
  if (!sig) {
    sig = signature(text);
    signatures.set(text, sig);
  }
  return sig;
};

const lsh = (a: string, b: string): boolean => {
  const x = signatureOf(a);
  const y = signatureOf(b);
  const kx = bandKeys(x, settings.params);
  const ky = bandKeys(y, settings.params);
  return kx.some((k, i) => k === ky[i]) && similarity(x, y) >= settings.threshold;
};

describe('dedup protocol', () => {
  const docs = corpus(12);
  const textOf = new Map(docs.map((d) => [d.id, d.text]));

  it('builds groups that are near-duplicates step by step', () => {
    const g = (s: string) => textOf.get(s) as string;
    expect(lsh(g('g0-a'), g('g0-b'))).toBe(true);
    expect(lsh(g('g0-b'), g('g0-c'))).toBe(true);
  });

  it.each([1, 2, 3, 4, 8])('holds the three properties over %i partitions, in many orders', (partitions) => {
    for (let seed = 1; seed <= 12; seed++) {
      const { kept, dropped, pending } = run(docs, partitions, seed * 7919 + partitions);
      expect(pending).toBe(0);
      // Every document is decided exactly once.
      expect([...kept, ...dropped.map((d) => d.docId)].sort()).toEqual(docs.map((d) => d.id).sort());
      // No exact or near-duplicate pair among the kept.
      const keptTexts = kept.map((id) => textOf.get(id) as string);
      expect(new Set(keptTexts.map(contentHash)).size).toBe(kept.length);
      for (let i = 0; i < keptTexts.length; i++)
        for (let j = i + 1; j < keptTexts.length; j++)
          expect(lsh(keptTexts[i] as string, keptTexts[j] as string), `${kept[i]} ~ ${kept[j]}`).toBe(false);
      // Every dropped document names a kept one.
      const keptSet = new Set(kept);
      for (const d of dropped) expect(keptSet.has(d.keptDocId), `${d.docId} → ${d.keptDocId}`).toBe(true);
      // Exact copies: the distinct texts kept are the ones a single pass keeps.
      expect(new Set(keptTexts).size).toBe(keptTexts.length);
    }
  });

  it('keeps the first of exact copies and drops the rest as duplicates naming it', () => {
    const { kept, dropped } = run(
      [
        { id: 'one', text: demo[0] as string },
        { id: 'two', text: demo[0] as string },
      ],
      2,
      1,
    );
    expect(kept).toEqual(['one']);
    expect(dropped.map((d) => [d.docId, d.reason, d.keptDocId])).toEqual([['two', 'duplicate', 'one']]);
  });

  it('restores a partition from its state writes and decides the same afterwards', () => {
    const a = new DedupPartition(settings);
    const writes = new Map<
      string,
      Parameters<DedupPartition['restore']>[0] extends Iterable<infer E> ? E : never
    >();
    const apply = (effects: Effect[]) => {
      for (const e of effects) {
        if (e.kind === 'put') writes.set(e.key, [e.key, e.state]);
        if (e.kind === 'delete') writes.delete(e.key);
      }
      return effects;
    };
    const text = demo[1] as string;
    apply(a.handle({ ...candidate({ id: 'first', text }), signature: null }));
    const restored = new DedupPartition(settings);
    restored.restore(writes.values());
    const again = restored.handle({ ...candidate({ id: 'again', text }), signature: null });
    expect(again.find((e) => e.kind === 'drop')).toMatchObject({ docId: 'again', keptDocId: 'first' });
    expect(signatureFromBytes(signatureBytes(signature(text)), settings.params)).not.toBeNull();
  });

  it('restores an undecided document with its records, and keeps those records when it decides', () => {
    const a = new DedupPartition(settings);
    const writes = new Map<string, [string, DedupState]>();
    const doc = candidate({ id: 'pending', text: demo[2] as string });
    const claims: DedupMessage[] = [];
    for (const e of a.handle(doc)) {
      if (e.kind === 'put') writes.set(e.key, [e.key, e.state]);
      if (e.kind === 'send') claims.push(e.message);
    }
    // The document's own state stays small: its records are written once, under their own key.
    expect(writes.get(`d/${doc.hash}`)?.[1].doc?.records).toEqual([]);
    const restored = new DedupPartition(settings);
    restored.restore(writes.values());
    expect(restored.pending).toBe(1);
    const effects = claims.flatMap((c) =>
      restored.handle({ ...c, kind: 'REPLY', hash: doc.hash, peers: [], band_key: null }),
    );
    expect(effects.find((e) => e.kind === 'keep')).toEqual({
      kind: 'keep',
      docId: 'pending',
      records: doc.records,
    });
    expect(effects.some((e) => e.kind === 'delete' && e.key === `r/${doc.hash}`)).toBe(true);
  });

  it('sends one CLAIM per partition owning band keys, answered by one REPLY counting its bands', () => {
    const owner = (key: string) => Number.parseInt(contentHash(key).slice(0, 8), 16) % 3;
    const a = new DedupPartition({ ...settings, partitionOf: owner });
    const doc = candidate({ id: 'grouped', text: demo[3] as string });
    const claims = a.handle(doc).flatMap((e) => (e.kind === 'send' ? [e] : []));
    expect(claims.length).toBeLessThanOrEqual(3);
    expect(claims.flatMap((c) => c.message.claims)).toHaveLength(settings.params.bands);
    for (const c of claims)
      for (const claim of c.message.claims) expect(owner(`b/${claim.band}/${claim.key}`)).toBe(owner(c.key));
    // Each owner answers its CLAIM with one REPLY; the document is kept once all bands are in.
    const replies = claims.flatMap((c) => a.handle(c.message).filter((e) => e.kind === 'send'));
    expect(replies).toHaveLength(claims.length);
    const effects = replies.flatMap((r) => (r.kind === 'send' ? a.handle(r.message) : []));
    expect(effects.find((e) => e.kind === 'keep')).toMatchObject({ docId: 'grouped' });
  });

  it('still answers a CLAIM of the one-band form (band and band_key, no claims)', () => {
    const a = new DedupPartition(settings);
    const first = candidate({ id: 'x', text: demo[4] as string });
    const old = { ...first, kind: 'CLAIM' as const, records: [], signature: null, band: 2, band_key: 42 };
    a.handle(old);
    const reply = a.handle({ ...old, hash: 'f'.repeat(64), doc_id: 'y' }).find((e) => e.kind === 'send');
    expect(reply?.kind === 'send' && reply.message).toMatchObject({
      kind: 'REPLY',
      claims: [{ band: 2, key: 42 }],
      peers: [{ hash: first.hash, doc_id: 'x' }],
    });
  });
});
