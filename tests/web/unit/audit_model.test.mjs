// The poll audit card's model (web/audit_model.js): rows and summary of GET /api/v1/audit.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { auditRows, auditSummary, auditTime } from '../../../web/audit_model.js';

const AUDIT = {
  enabled: true, sim_ms: 5000, findings: 2, merged_connections: 0,
  clients: [
    { transport: 'tcp', peer: '127.0.0.1', requests: 5, first: { sim_ms: 0 }, last: { sim_ms: 10 }, findings: [
      { check: 'fc04', severity: 'error', count: 3, first: { sim_ms: 0, t: '2026-12-04T18:20:01.123Z' },
        last: { sim_ms: 10, t: '2026-12-04T18:20:02.456Z' }, example: '00 01 00 00 00 06 01 04 50 02 00 02',
        detail: 'FC 04 at 0x5002 count 2: ...' },
    ] },
    { transport: 'mbus-tcp', peer: '127.0.0.1', requests: 2, first: { sim_ms: 0 }, last: { sim_ms: 0 }, findings: [
      { check: 'fcb-not-toggled', severity: 'warning', count: 1, first: { sim_ms: 7 }, last: { sim_ms: 7 },
        example: '10 7B 00 7B 16', detail: 'REQ_UD2 ...' },
    ] },
  ],
};

test('a row per finding of every client, with its times for people', () => {
  const rows = auditRows(AUDIT);
  assert.equal(rows.length, 2);
  assert.deepEqual(rows[0], {
    client: 'tcp 127.0.0.1', check: 'fc04', severity: 'error', count: 3, first: '18:20:01.123 UTC',
    last: '18:20:02.456 UTC', example: '00 01 00 00 00 06 01 04 50 02 00 02', detail: 'FC 04 at 0x5002 count 2: ...',
  });
  assert.equal(rows[1].first, 'sim 7 ms', 'no wall time: the simulated time');
  assert.deepEqual(auditRows(null), []);
  assert.equal(auditTime(undefined), '');
});

test('the summary counts findings, clients and requests, or says why there are none', () => {
  assert.equal(auditSummary(AUDIT), '2 findings (2 clients, 7 requests).');
  assert.equal(auditSummary({ enabled: true, clients: [], findings: 0 }), 'No client has talked to this meter yet.');
  assert.equal(auditSummary({ enabled: true, findings: 0, clients: [{ requests: 1, findings: [] }] }),
    'No finding: 1 client, 1 request, each as the meter expects.');
  assert.equal(auditSummary({ enabled: false, clients: [], findings: 0 }), 'The audit is off (ambimeter run --audit off).');
});
