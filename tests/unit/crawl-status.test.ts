import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { CrawlInput, CrawlProgress } from '../../core/types.ts';
import { describeInput } from '../../services/crawl/descriptor.ts';
import { summarize } from '../../services/crawl/status.ts';
import { registerStatusMetrics } from '../../services/crawl/status-metrics.ts';

const NOW = 1_800_000_000_000;

const input = (location: string, size: number | null): CrawlInput => ({
  ...describeInput(location, { size }),
  added_at: NOW - 600_000,
});

const progress = (of: CrawlInput, at: number, fields: Partial<CrawlProgress>): CrawlProgress => ({
  input_id: of.input_id,
  location: of.location,
  state: 'RUNNING',
  records_read: 0,
  documents: 0,
  bytes_read: 0,
  size: of.size,
  worker: 'w1',
  reason: null,
  started_at: NOW - 120_000,
  updated_at: at,
  ...fields,
});

describe('crawl status', () => {
  const a = input('/c/a.warc.gz', 1000);
  const b = input('/c/b.warc.gz', 4000);
  const c = input('/c/c.warc.gz', 2000);
  const d = input('/c/d.warc.gz', 500);

  it('counts states, takes rates over the window only, and estimates the rest at that byte rate', () => {
    const history = [
      progress(a, NOW - 90_000, { records_read: 50, documents: 40, bytes_read: 400 }),
      progress(a, NOW - 30_000, { state: 'DONE', records_read: 110, documents: 90, bytes_read: 1000 }),
      progress(b, NOW - 20_000, { worker: 'w2', records_read: 60, documents: 30, bytes_read: 1200 }),
      progress(d, NOW - 10_000, { state: 'FAILED', reason: 'HTTP 404 (after up to 4 tries)' }),
    ];
    const status = summarize([a, b, c, d, a], history, NOW, 60_000);
    expect([status.inputs, status.queued, status.running, status.done, status.failed]).toEqual([
      4, 1, 1, 1, 1,
    ]);
    // In the window: a grew by 60 records (110 - 50), b by 60 (from nothing).
    expect(status.recordsPerSecond).toBeCloseTo(120 / 60);
    expect(status.documentsPerSecond).toBeCloseTo((50 + 30) / 60);
    // a: 600 bytes, b: 1200 → 30 B/s; left: b 2800 + c 2000.
    expect(status.etaSeconds).toBeCloseTo(4800 / 30);
    expect(status.list.find((s) => s.location === b.location)).toMatchObject({
      worker: 'w2',
      records_read: 60,
    });
    expect(status.list.find((s) => s.location === d.location)?.reason).toMatch(/404/);
  });

  it('has no ETA while an unread input has no known size', () => {
    const status = summarize([input('https://x/y.warc.gz', null)], [], NOW);
    expect(status.etaSeconds).toBeNull();
    expect(status.queued).toBe(1);
  });
});

describe('crawl status as metrics', () => {
  it('shows the status as gauges, reading it once per cache period', async () => {
    const registry = new Registry();
    let reads = 0;
    const a = input('/c/a.warc.gz', 1000);
    const status = summarize(
      [a, input('/c/b.warc.gz', 10)],
      [progress(a, NOW - 1000, { records_read: 30, bytes_read: 500 })],
      NOW,
    );
    registerStatusMetrics(registry, async () => {
      reads++;
      return status;
    });
    const text = await registry.metrics();
    await registry.metrics();
    expect(reads).toBe(1);
    expect(text).toContain('ipt_crawl_inputs{state="queued"} 1');
    expect(text).toContain('ipt_crawl_inputs{state="running"} 1');
    expect(text).toMatch(new RegExp(`ipt_crawl_records_per_second ${status.recordsPerSecond}`));
    expect(text).toMatch(new RegExp(`ipt_crawl_eta_seconds ${status.etaSeconds}`));
  });
});
