// The tap's Prometheus metrics, served on its own /metrics.

import { Counter, Gauge, type Registry } from 'prom-client';

export type TapMetrics = ReturnType<typeof tapMetrics>;

export function tapMetrics(registry: Registry) {
  return {
    clients: new Gauge({
      name: 'ipt_tap_clients',
      help: 'connected WebSocket clients',
      registers: [registry],
    }),
    read: new Counter({
      name: 'ipt_tap_records_read_total',
      help: 'records read by the live reader, by topic role',
      labelNames: ['topic'],
      registers: [registry],
    }),
    sent: new Counter({
      name: 'ipt_tap_records_queued_total',
      help: 'records queued or sent to clients',
      registers: [registry],
    }),
    dropped: new Counter({
      name: 'ipt_tap_records_dropped_total',
      help: 'records dropped because a client queue was full',
      registers: [registry],
    }),
    decodeErrors: new Counter({
      name: 'ipt_tap_decode_errors_total',
      help: 'records that could not be decoded (sent with an error instead of a value)',
      labelNames: ['topic'],
      registers: [registry],
    }),
    disconnects: new Counter({
      name: 'ipt_tap_disconnects_total',
      help: 'clients cut off by the tap, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    refused: new Counter({
      name: 'ipt_tap_refused_total',
      help: 'WebSocket upgrades refused, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}
