// Helpers of the browser test: named checks as node:test subtests, the twin process, a tiny
// Modbus TCP client, bounded waits. Node 20 standard library only.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

let failures = 0;
/// Whether a check or a test of this run failed (the twin's log is printed then).
export const anyFailed = () => failures > 0;

/// One named check of a node:test test: a subtest, so a failed check is reported and the test
/// goes on to its next check; an exception out of the test itself ends it.
export async function check(t, what, fn) {
  await t.test(what, async () => {
    try {
      await fn();
    } catch (e) {
      failures += 1;
      throw e;
    }
  });
}

/// A node:test test body that counts its failure for `anyFailed`.
export function counted(fn) {
  return async (t) => {
    try {
      await fn(t);
    } catch (e) {
      failures += 1;
      throw e;
    }
  };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/// Rejects after `ms` with `what` unless `promise` settles first.
export function within(ms, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/// One `ambimeter run` with a fresh state directory; `start()` waits for the ready line.
/// `stateRoot` is where the directory is made (the system's temporary directory unless
/// given: a fleet's thousands of fsynced files go faster on a tmpfs such as /dev/shm);
/// `mbusTcp: false` leaves out --mbus-tcp (a fleet has no M-bus yet); `clock` is the
/// --clock mode (`real` unless given).
export class Twin {
  constructor(binary, extraArgs = [], { stateRoot = os.tmpdir(), mbusTcp = true, clock = 'real' } = {}) {
    this.binary = binary;
    this.extraArgs = extraArgs;
    this.mbusTcp = mbusTcp;
    this.clock = clock;
    this.dir = mkdtempSync(path.join(stateRoot, 'ambi-web-'));
    this.stderr = '';
    this.proc = null;
    this.ready = null;
  }
  async start(timeoutMs = 15000) {
    const args = ['run', '--clock', this.clock, '--http', '127.0.0.1:0', '--modbus-tcp', '127.0.0.1:0',
      ...(this.mbusTcp ? ['--mbus-tcp', '127.0.0.1:0'] : []), '--state', this.dir, ...this.extraArgs];
    this.proc = spawn(this.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stderr.on('data', (d) => { this.stderr = (this.stderr + d).slice(-20000); });
    const line = await within(timeoutMs, 'the twin\'s ready line', new Promise((resolve, reject) => {
      let buf = '';
      this.proc.stdout.on('data', (d) => {
        buf += d;
        const nl = buf.indexOf('\n');
        if (nl >= 0) resolve(buf.slice(0, nl));
      });
      this.proc.on('exit', (code) => reject(new Error(`the twin exited (${code}): ${this.stderr}`)));
      this.proc.on('error', reject);
    }));
    this.ready = JSON.parse(line);
    if (this.ready.event !== 'ready') throw new Error(`not a ready line: ${line}`);
    this.url = this.ready.http;
    const [host, port] = this.ready.modbus_tcp.split(/:(?=\d+$)/);
    this.modbus = { host, port: Number(port) };
    return this;
  }
  /// A JSON request to the control API: {status, body}.
  async request(method, apiPath, body) {
    const init = { method, signal: AbortSignal.timeout(10000) };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'Content-Type': 'application/json' };
    }
    const res = await fetch(this.url + apiPath, init);
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch { json = text; }
    return { status: res.status, body: json, headers: res.headers };
  }
  async state() {
    const r = await this.request('GET', '/api/v1/state');
    if (r.status !== 200) throw new Error(`GET /api/v1/state: ${r.status}`);
    return r.body;
  }
  /// SIGTERM, then SIGKILL after `graceMs`; removes the state directory unless `keep`
  /// (`start()` again then runs the same meters).
  async stop({ keep = false, graceMs = 5000 } = {}) {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      const exited = new Promise((r) => this.proc.once('exit', r));
      this.proc.kill('SIGTERM');
      try {
        await within(graceMs, 'the twin to exit', exited);
      } catch {
        this.proc.kill('SIGKILL');
        await within(5000, 'the twin to die', exited).catch(() => {});
      }
    }
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
  }
}

/// Reads `count` holding registers (FC03) at `address` from unit `unit` over Modbus TCP.
export function readHoldingRegisters({ host, port }, unit, address, count, timeoutMs = 5000) {
  const sock = net.connect({ host, port });
  return within(timeoutMs, `Modbus FC03 ${address.toString(16)}`, new Promise((resolve, reject) => {
    const tid = 0x1234;
    const req = Buffer.alloc(12);
    req.writeUInt16BE(tid, 0);      // transaction id
    req.writeUInt16BE(0, 2);        // protocol id
    req.writeUInt16BE(6, 4);        // length: unit + PDU
    req.writeUInt8(unit, 6);
    req.writeUInt8(0x03, 7);
    req.writeUInt16BE(address, 8);
    req.writeUInt16BE(count, 10);
    let buf = Buffer.alloc(0);
    sock.on('connect', () => sock.write(req));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 7) return;
      const len = buf.readUInt16BE(4);
      if (buf.length < 6 + len) return;
      sock.destroy();
      if (buf.readUInt16BE(0) !== tid) return reject(new Error('wrong transaction id'));
      const fc = buf.readUInt8(7);
      if (fc !== 0x03) return reject(new Error(`exception: function 0x${fc.toString(16)} code ${buf.readUInt8(8)}`));
      const n = buf.readUInt8(8) / 2;
      resolve(Array.from({ length: n }, (_, i) => buf.readUInt16BE(9 + 2 * i)));
    });
    sock.on('error', reject);
  })).finally(() => sock.destroy());
}
