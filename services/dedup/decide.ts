// The dedup stage's logic for one partition of ipt.dedup.candidates, pure: a message in, effects
// out (messages to other partitions, records to keep, documents to drop, state writes). A partition
// plays two roles at once: it owns the documents whose content hash maps to it (exact duplicates,
// verdicts) and the LSH band keys that map to it (who claimed a band first). The protocol and why it
// never keeps two near-duplicates nor drops both: ARCHITECTURE.md §9.

import type {
  DedupAnswer,
  DedupClaim,
  DedupConflict,
  DedupDoc,
  DedupMessage,
  DedupPeer,
  DedupState,
} from '../../core/types.ts';
import {
  bandKeys,
  type MinHashParams,
  type Signature,
  signatureFromBytes,
  similarity,
} from '../ingest/minhash.ts';

export interface DedupSettings {
  /** Estimated Jaccard similarity from which a document is a near-duplicate. */
  threshold: number;
  /** The LSH shape for the threshold (bands × rows over the signature). */
  params: MinHashParams;
  /** Decided documents a partition remembers; the oldest are forgotten first. */
  docWindow: number;
  /** Band keys a partition remembers. */
  bandWindow: number;
  /**
   * The candidates partition a key goes to (the producers' partitioner): a document's band keys
   * owned by one partition travel in one CLAIM. Absent: one CLAIM per band.
   */
  partitionOf?: (key: string) => number;
}

/** Claimants kept per band key: more than a handful means a crowd of copies, all answered by the first. */
const MAX_CLAIMANTS = 16;

export type Effect =
  | { kind: 'send'; key: string; message: DedupMessage }
  | { kind: 'keep'; docId: string; records: Buffer[] }
  | {
      kind: 'drop';
      reason: 'duplicate' | 'near_duplicate';
      hash: string;
      docId: string;
      origin: string | null;
      keptDocId: string;
      similarity: number;
      value: Buffer | null;
    }
  | { kind: 'put'; key: string; state: DedupState }
  | { kind: 'delete'; key: string };

export const docKey = (hash: string) => `d/${hash}`;
/** An undecided document's records, apart from its state so its many small updates stay small. */
export const recordsKey = (hash: string) => `r/${hash}`;
export const bandKey = (band: number, key: number) => `b/${band}/${key}`;

const message = (
  kind: DedupMessage['kind'],
  hash: string,
  docId: string,
  fields: Partial<DedupMessage> = {},
): DedupMessage => ({
  kind,
  hash,
  doc_id: docId,
  records: [],
  signature: null,
  origin: null,
  band: null,
  band_key: null,
  claims: [],
  peers: [],
  peer_hash: null,
  peer_doc_id: null,
  status: null,
  similarity: null,
  ...fields,
});

interface DocEntry {
  seq: number;
  doc: DedupDoc;
}
interface BandEntry {
  seq: number;
  peers: DedupPeer[];
}

export class DedupPartition {
  private readonly docs = new Map<string, DocEntry>();
  private readonly bands = new Map<string, BandEntry>();
  /** Decided documents and band keys in the order they are forgotten. */
  private readonly decided = new Map<string, true>();
  private readonly bandOrder = new Map<string, true>();
  private seq = 0;

  constructor(private readonly settings: DedupSettings) {}

  get pending(): number {
    return this.docs.size - this.decided.size;
  }
  get documents(): number {
    return this.docs.size;
  }
  get bandKeys(): number {
    return this.bands.size;
  }

  /** Takes the restored changelog (any order): entries are replayed in their first-write order. */
  restore(entries: Iterable<[string, DedupState]>): void {
    const sorted = [...entries].sort((a, b) => a[1].seq - b[1].seq);
    const records = new Map<string, Buffer[]>();
    for (const [key, state] of sorted) {
      if (key.startsWith('r/')) {
        records.set(key.slice(2), state.doc?.records ?? []);
        continue;
      }
      this.seq = Math.max(this.seq, state.seq + 1);
      if (state.doc && key.startsWith('d/')) {
        const hash = key.slice(2);
        this.docs.set(hash, { seq: state.seq, doc: state.doc });
        if (state.doc.status !== 'PENDING') this.decided.set(hash, true);
      } else if (state.band && key.startsWith('b/')) {
        this.bands.set(key, { seq: state.seq, peers: state.band });
        this.bandOrder.set(key, true);
      }
    }
    for (const [hash, recs] of records) {
      const entry = this.docs.get(hash);
      if (entry?.doc.status === 'PENDING') entry.doc.records = recs;
    }
  }

  handle(m: DedupMessage): Effect[] {
    const out: Effect[] = [];
    switch (m.kind) {
      case 'CANDIDATE':
        this.candidate(m, out);
        break;
      case 'CLAIM':
        this.claim(m, out);
        break;
      case 'REPLY':
        this.reply(m, out);
        break;
      case 'QUERY':
        this.query(m, out);
        break;
      case 'ANSWER':
        this.answer(m, out);
        break;
    }
    return out;
  }

  private candidate(m: DedupMessage, out: Effect[]): void {
    const entry = this.docs.get(m.hash);
    if (!entry) {
      const doc: DedupDoc = {
        doc_id: m.doc_id,
        status: 'PENDING',
        records: m.records,
        signature: m.signature,
        origin: m.origin,
        replies: 0,
        conflicts: [],
        waiters: [],
        copies: [],
        kept_doc_id: null,
        similarity: null,
      };
      const created = { seq: this.seq++, doc };
      this.docs.set(m.hash, created);
      const sig = this.signatureOf(doc);
      if (!sig) {
        this.keep(m.hash, created, out);
        return;
      }
      out.push({ kind: 'put', key: recordsKey(m.hash), state: { seq: created.seq, doc, band: null } });
      for (const [key, claims] of this.claimsByOwner(sig))
        out.push({ kind: 'send', key, message: message('CLAIM', m.hash, m.doc_id, { claims }) });
      this.putDoc(m.hash, created, out);
      return;
    }
    const doc = entry.doc;
    if (doc.status === 'PENDING') {
      doc.copies.push({ doc_id: m.doc_id, origin: m.origin });
      this.putDoc(m.hash, entry, out);
      return;
    }
    const kept = doc.status === 'KEPT' ? doc.doc_id : (doc.kept_doc_id ?? doc.doc_id);
    out.push({
      kind: 'drop',
      reason: 'duplicate',
      hash: m.hash,
      docId: m.doc_id,
      origin: m.origin,
      keptDocId: kept,
      similarity: doc.status === 'KEPT' ? 1 : (doc.similarity ?? 1),
      value: m.records[0] ?? null,
    });
  }

  /**
   * The document's band keys grouped by the partition that owns them, each group under the state
   * key of its first band (the message key that reaches that partition).
   */
  private claimsByOwner(sig: Signature): Map<string, DedupClaim[]> {
    const groups = new Map<string | number, { key: string; claims: DedupClaim[] }>();
    bandKeys(sig, this.settings.params).forEach((key, band) => {
      const stateKey = bandKey(band, key);
      const owner = this.settings.partitionOf ? this.settings.partitionOf(stateKey) : stateKey;
      const group = groups.get(owner) ?? { key: stateKey, claims: [] };
      group.claims.push({ band, key });
      groups.set(owner, group);
    });
    return new Map([...groups.values()].map((g) => [g.key, g.claims]));
  }

  /** The band keys' owner answers with who claimed them before, then remembers the claimant. */
  private claim(m: DedupMessage, out: Effect[]): void {
    // A CLAIM of the older form names one band in `band` and `band_key`.
    const claims = m.claims.length > 0 ? m.claims : [{ band: m.band ?? 0, key: m.band_key ?? 0 }];
    const before = new Map<string, DedupPeer>();
    for (const claim of claims) this.claimOne(m, bandKey(claim.band, claim.key), before, out);
    const reply = message('REPLY', m.hash, m.doc_id, { claims, peers: [...before.values()] });
    out.push({ kind: 'send', key: m.hash, message: reply });
    this.forgetOldBands(out);
  }

  /** Adds the band key's earlier claimants to `before` and records this document as its latest. */
  private claimOne(m: DedupMessage, key: string, before: Map<string, DedupPeer>, out: Effect[]): void {
    const entry = this.bands.get(key) ?? { seq: this.seq++, peers: [] };
    const others = entry.peers.filter((p) => p.hash !== m.hash);
    for (const peer of others) before.set(peer.hash, peer);
    entry.peers = [...others, { hash: m.hash, doc_id: m.doc_id }].slice(-MAX_CLAIMANTS);
    this.bands.set(key, entry);
    this.bandOrder.delete(key);
    this.bandOrder.set(key, true);
    out.push({ kind: 'put', key, state: { seq: entry.seq, doc: null, band: entry.peers } });
  }

  private forgetOldBands(out: Effect[]): void {
    while (this.bandOrder.size > this.settings.bandWindow) {
      const oldest = this.bandOrder.keys().next().value as string;
      this.bandOrder.delete(oldest);
      this.bands.delete(oldest);
      out.push({ kind: 'delete', key: oldest });
    }
  }

  /** The answer to one of the document's claims: every earlier claimant is asked where it stands. */
  private reply(m: DedupMessage, out: Effect[]): void {
    const entry = this.pendingEntry(m.hash);
    if (!entry) return;
    const doc = entry.doc;
    // `replies` counts bands answered; a REPLY of the older form answers one.
    doc.replies += Math.max(1, m.claims.length);
    for (const peer of m.peers) {
      if (peer.hash === m.hash || doc.conflicts.some((c) => c.hash === peer.hash)) continue;
      doc.conflicts.push({ hash: peer.hash, doc_id: peer.doc_id, state: 'ASKED', similarity: null });
      const query = message('QUERY', peer.hash, peer.doc_id, {
        peer_hash: m.hash,
        peer_doc_id: doc.doc_id,
        signature: doc.signature,
      });
      out.push({ kind: 'send', key: peer.hash, message: query });
    }
    this.settle(m.hash, entry, out);
  }

  /** Another document (`peer_hash`) asks this one where it stands. */
  private query(m: DedupMessage, out: Effect[]): void {
    const asker = m.peer_hash ?? '';
    const entry = this.docs.get(m.hash);
    const answer = (status: DedupAnswer, s: number | null) =>
      out.push({
        kind: 'send',
        key: asker,
        message: message('ANSWER', asker, m.peer_doc_id ?? '', {
          peer_hash: m.hash,
          peer_doc_id: entry?.doc.doc_id ?? m.doc_id,
          status,
          similarity: s,
        }),
      });
    // Forgotten (out of the window): as good as not there.
    if (!entry) return void answer('DROPPED', null);
    const doc = entry.doc;
    if (doc.status === 'DROPPED') return void answer('DROPPED', null);
    const mine = this.signatureOf(doc);
    const theirs = m.signature ? signatureFromBytes(m.signature, this.settings.params) : null;
    const s = mine && theirs ? similarity(mine, theirs) : 0;
    if (s < this.settings.threshold) return void answer('DISSIMILAR', s);
    if (doc.status === 'KEPT') return void answer('KEPT', s);
    // Both undecided: the lower content hash goes first, so waits never form a cycle.
    if (m.hash < asker) {
      if (!doc.waiters.includes(asker)) doc.waiters.push(asker);
      answer('LOWER', s);
    } else {
      const conflict = doc.conflicts.find((c) => c.hash === asker);
      if (conflict) {
        conflict.state = 'WAITING';
        conflict.similarity = s;
      } else
        doc.conflicts.push({ hash: asker, doc_id: m.peer_doc_id ?? '', state: 'WAITING', similarity: s });
      answer('DEFERS', s);
    }
    this.putDoc(m.hash, entry, out);
  }

  /** An answer to this document's query, or a verdict it was waiting for. */
  private answer(m: DedupMessage, out: Effect[]): void {
    const entry = this.docs.get(m.hash);
    const peer = m.peer_hash ?? '';
    if (!entry) return;
    const doc = entry.doc;
    if (doc.status !== 'PENDING') {
      // It decided before the peer deferred to it: the peer still waits for this verdict.
      if (m.status === 'DEFERS') out.push(this.verdictFor(m.hash, doc, peer));
      return;
    }
    let conflict = doc.conflicts.find((c) => c.hash === peer);
    if (!conflict) {
      conflict = { hash: peer, doc_id: m.peer_doc_id ?? '', state: 'ASKED', similarity: null };
      doc.conflicts.push(conflict);
    }
    conflict.similarity = m.similarity ?? conflict.similarity;
    switch (m.status) {
      case 'KEPT':
        this.drop(m.hash, entry, conflict, out);
        return;
      case 'LOWER':
        conflict.state = 'WAITING';
        break;
      case 'DEFERS':
        conflict.state = 'CLEARED';
        if (!doc.waiters.includes(peer)) doc.waiters.push(peer);
        break;
      default:
        conflict.state = 'CLEARED';
    }
    this.settle(m.hash, entry, out);
  }

  /** Keeps the document once every band answered and nothing undecided or kept is in the way. */
  private settle(hash: string, entry: DocEntry, out: Effect[]): void {
    const doc = entry.doc;
    if (doc.replies >= this.settings.params.bands && doc.conflicts.every((c) => c.state === 'CLEARED'))
      this.keep(hash, entry, out);
    else this.putDoc(hash, entry, out);
  }

  private keep(hash: string, entry: DocEntry, out: Effect[]): void {
    const doc = entry.doc;
    out.push({ kind: 'keep', docId: doc.doc_id, records: doc.records });
    for (const copy of doc.copies)
      out.push({
        kind: 'drop',
        reason: 'duplicate',
        hash,
        docId: copy.doc_id,
        origin: copy.origin,
        keptDocId: doc.doc_id,
        similarity: 1,
        value: null,
      });
    entry.doc = { ...doc, status: 'KEPT', records: [], conflicts: [], copies: [] };
    for (const waiter of doc.waiters) out.push(this.verdictFor(hash, entry.doc, waiter));
    entry.doc.waiters = [];
    this.decide(hash, entry, out);
  }

  private drop(hash: string, entry: DocEntry, by: DedupConflict, out: Effect[]): void {
    const doc = entry.doc;
    const s = by.similarity ?? this.settings.threshold;
    out.push({
      kind: 'drop',
      reason: 'near_duplicate',
      hash,
      docId: doc.doc_id,
      origin: doc.origin,
      keptDocId: by.doc_id,
      similarity: s,
      value: doc.records[0] ?? null,
    });
    for (const copy of doc.copies)
      out.push({
        kind: 'drop',
        reason: 'duplicate',
        hash,
        docId: copy.doc_id,
        origin: copy.origin,
        keptDocId: by.doc_id,
        similarity: s,
        value: null,
      });
    entry.doc = {
      ...doc,
      status: 'DROPPED',
      records: [],
      signature: null,
      conflicts: [],
      copies: [],
      waiters: [],
      kept_doc_id: by.doc_id,
      similarity: s,
    };
    for (const waiter of doc.waiters) out.push(this.verdictFor(hash, entry.doc, waiter));
    this.decide(hash, entry, out);
  }

  private verdictFor(hash: string, doc: DedupDoc, waiter: string): Effect {
    const status: DedupAnswer = doc.status === 'KEPT' ? 'KEPT' : 'DROPPED';
    const verdict = message('ANSWER', waiter, '', { peer_hash: hash, peer_doc_id: doc.doc_id, status });
    return { kind: 'send', key: waiter, message: verdict };
  }

  private decide(hash: string, entry: DocEntry, out: Effect[]): void {
    out.push({ kind: 'delete', key: recordsKey(hash) });
    this.putDoc(hash, entry, out);
    this.decided.set(hash, true);
    while (this.decided.size > this.settings.docWindow) {
      const oldest = this.decided.keys().next().value as string;
      this.decided.delete(oldest);
      this.docs.delete(oldest);
      out.push({ kind: 'delete', key: docKey(oldest) });
    }
  }

  private pendingEntry(hash: string): DocEntry | undefined {
    const entry = this.docs.get(hash);
    return entry?.doc.status === 'PENDING' ? entry : undefined;
  }

  private signatureOf(doc: DedupDoc) {
    return doc.signature ? signatureFromBytes(doc.signature, this.settings.params) : null;
  }

  private putDoc(hash: string, entry: DocEntry, out: Effect[]): void {
    const doc = { ...entry.doc, records: [] };
    out.push({ kind: 'put', key: docKey(hash), state: { seq: entry.seq, doc, band: null } });
  }
}
