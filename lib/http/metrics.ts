// A limited server's connection counts as Prometheus metrics, read at scrape time.

import { Counter, Gauge, type Registry } from 'prom-client';
import type { ConnectionCap } from './connection-cap.ts';

/** `ipt_<app>_http_connections` (open now) and `ipt_<app>_http_connections_cut_total{reason}`. */
export function registerConnectionMetrics(registry: Registry, app: string, cap: ConnectionCap): void {
  new Gauge({
    name: `ipt_${app}_http_connections`,
    help: 'HTTP connections open now',
    registers: [registry],
    collect() {
      this.set(cap.counts().open);
    },
  });
  const reported = { refused: 0, evicted: 0, idleClosed: 0 };
  new Counter({
    name: `ipt_${app}_http_connections_cut_total`,
    help: 'HTTP connections cut by the server: refused (503, all busy), evicted (made room), idle',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      const now = cap.counts();
      for (const [reason, label] of [
        ['refused', 'refused'],
        ['evicted', 'evicted'],
        ['idleClosed', 'idle'],
      ] as const) {
        this.inc({ reason: label }, now[reason] - reported[reason]);
        reported[reason] = now[reason];
      }
    },
  });
}
