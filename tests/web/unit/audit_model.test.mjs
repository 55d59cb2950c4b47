// The poll audit card's model (web/audit_model.js): rows and summary of GET /api/v1/audit, and
// the fleet's audits the card can show.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { auditRows, auditScopes, auditSubject, auditSummary, auditTime } from '../../../web/audit_model.js';

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

test('a gateway\'s or a bus\'s audit is named in the summary; a meter\'s keeps its texts', () => {
  const gateway = { ...AUDIT, gateway: 'meters/1' };
  assert.equal(auditSubject(gateway), 'gateway meters/1');
  assert.equal(auditSubject({ bus: 'bus', clients: [] }), 'bus bus');
  assert.equal(auditSubject(AUDIT), 'this meter');
  assert.equal(auditSubject(null), 'this meter');
  assert.equal(auditSummary(gateway), 'Gateway meters/1: 2 findings (2 clients, 7 requests).');
  assert.equal(auditSummary({ bus: 'left', enabled: true, clients: [], findings: 0 }), 'No client has talked to bus left yet.');
  assert.equal(auditSummary({ bus: 'bus', enabled: true, findings: 0, clients: [{ requests: 2, findings: [] }] }),
    'Bus bus: no finding: 1 client, 2 requests, each as its meters expect.');
  assert.equal(auditSummary({ gateway: 'g', enabled: false, clients: [], findings: 0 }),
    'The audit is off (ambimeter run --audit off).');
});

test('the scopes: the meter first, then each gateway and bus the index lists, by path', () => {
  const meter = { value: '', label: 'this meter', path: null };
  assert.deepEqual(auditScopes(null), [meter], 'one meter: only itself (the select stays hidden)');
  assert.deepEqual(auditScopes({ meters: 3, gateways: ['127.0.0.1:5020'] }), [meter], 'no audits listed');
  assert.deepEqual(auditScopes({ meters: 3, audits: [] }), [meter]);
  const fleet = {
    meters: 3,
    audits: [
      { kind: 'gateway', name: 'meters/1', path: '/api/v1/gateways/0/audit' },
      { kind: 'bus', name: 'bus', path: '/api/v1/buses/0/audit' },
      { kind: 'gateway', name: 'again', path: '/api/v1/gateways/0/audit' },
      { kind: 'meter', name: 'x', path: '/api/v1/audit' },
      { kind: 'bus', name: 'b', path: 'http://elsewhere/api/v1/buses/1/audit' },
      { kind: 'bus', path: '/api/v1/buses/2/audit' },
      null,
    ],
  };
  assert.deepEqual(auditScopes(fleet), [
    meter,
    { value: '/api/v1/gateways/0/audit', label: 'gateway meters/1', path: '/api/v1/gateways/0/audit' },
    { value: '/api/v1/buses/0/audit', label: 'bus bus', path: '/api/v1/buses/0/audit' },
  ], 'a repeated path, an unknown kind, a path off the API or without a name are left out');
});
