"""A month of random faults on a 1,000-meter fleet (issue 15): no fault changes what a meter
has counted unless the fault is to the meter itself, and the legal-register invariants of
PRODUCT.md hold throughout.

Two fleets run side by side with the same options, the same fleet file and their own state
directories: A gets the campaign, B is the control. Each is 1,000 household meters
(`run --fleet` with one group of 1,000 and a `[profile.household]`: `run --meters` has no
option for a generated curve, the fleet file does; the curve of a meter comes from the
fleet's seed and its serial, so the two fleets' meters draw the same and no two meters of a
fleet draw alike), behind 5 Modbus TCP gateways (247 + 247 + 247 + 247 + 12), the stepped
clock, M-bus off. Some households have PV (reverse energy) and an EV.

The campaign, from `random.Random(SEED)` (every draw of the test and every link fault's
`seed`): 30 simulated days in steps of 4 simulated hours (180 steps;
`POST /api/v1/clock/advance` to both fleets). At each step:

- link faults start on A: of the kinds no-reply, delay, bad-crc, bit-errors, truncate,
  garbage, wrong-unit, exception, collision, each with a random probability, a start within
  the step and a duration (or none), on a seeded fraction of the fleet
  (`POST /api/v1/fleet/faults?fraction=F&seed=S`) and on single meters
  (`POST /api/v1/meters/{serial}/faults`); some single-meter faults are ended with DELETE;
- power cuts (`POST /api/v1/fleet/power?fraction=F&seed=S`) go to BOTH fleets alike, and are
  undone alike a step or two later: they are a change to the supply, which both fleets count
  the same (the power-down counter included);
- identical harmless writes go to both fleets through their gateways: a tariff (6048, FC 06,
  T1-T4) to a few meters, and a write to a read-only energy register (600C, FC 16), which
  must be refused (exception 02 in B) and change nothing;
- a sample of meters (6 at random, 6 with an active single-meter link fault, every meter
  with a meter fault) is read through the gateways with pymodbus (0x6000 x 125 and
  0x607D x 20, timeout 1 s, no retries, a fresh connection after a failed exchange), on A
  and then on B at the same simulated instant: on A some reads fail, which is the point.
  (The meters with active faults come from the test's own bookkeeping of the single-meter
  faults: the API's page of all 1,000 meters with their fault counts costs 1.5 s under
  ASan.)

Meter faults (supply-lost, phase-lost, phases-swapped, ct-reversed, wrong-ct-ratio: two
meters each, a window of an hour to four days somewhere in the month) are started on A from
the start, each only if the server accepts it (201; a 422 for an unknown kind leaves the
meter a link-only one; a 422 for a member, as before the members landed, retries the kind
without them). Those ten meters are "meter-faulted". Storage faults are not used: they set
8.1's error bits by design. Not used either: wrong-transaction (no effect on the RTU side of
a gateway), the connection kinds (they do not act on a gateway), and the fleet route
`DELETE /api/v1/fleet/faults/{id}?SELECTOR`, which answers 404 and ends nothing when the
first selected meter has no fault with that id (reported with issue 15).

At the end every fault is ended (DELETE of each active one, listed by
`GET /api/v1/meters/{serial}/faults`), the last power cut is undone, and every meter of both
fleets is read through its gateway (0x4000 x 0x34, 0x6000 x 125, 0x607D x 20). Checked:

(a) "A fault on a link or line changes what travels, never what a meter has counted"
    (PRODUCT.md, rulings for faults): every meter of A without a meter fault has exactly the
    words of its twin in B: all 145 registers of the 0x6000 block, error code (4015),
    power-down counter (4016) and the rest of the 0x4000 block (the status word's bit 0,
    communication active, excepted: it is wall-time). During the campaign every read of such
    a meter that A answered is word for word B's read at the same simulated instant. Also the
    API's page of all meters (`forward_kwh`, `reverse_kwh`, `error_code`) agrees.
(b) The legal invariants, on every meter of both fleets (meter-faulted ones included):
    - "Legal registers are sacred": no forward, reverse or quadrant register (C8: the legal
      magnitudes; totals are signed views and may fall while exporting) is lower than at any
      earlier read; C-05 is not set (400F stays C-04, status bit 3 clear); T3/T4 once
      activated stay activated (status bit 2 on every meter that was written T3 or T4 in B);
      no CT-ratio change happened (401F 5/5);
    - energy register signs (R11): forward, reverse and quadrant magnitudes are >= 0;
    - combination code C-04 (R12, R27 "signed totals are computed from the shown forward and
      reverse magnitudes"): every total (6000, per tariff 6002/6004/604B/604D, per phase
      6006-600A, the reactive ones, the trip counters) is exactly shown forward - shown
      reverse, in whole Wh;
    - totals are the sum of their parts (R13 reactive = Q1+Q2 / Q3+Q4; tariffs; phases):
      forward/reverse total = sum over tariffs T1-T4 and = sum over L1-L3, Q1-Q4 totals =
      sum of their tariffs, forward reactive = Q1 + Q2, reverse reactive = Q3 + Q4; each
      part is cut to whole Wh on its own (R27, C1), so the total may exceed the sum of n
      parts by at most n - 1 Wh, never fall short of it; the trip counters, never reset
      here, equal the totals;
    - "Nothing is lost": error code 0.
(c) Every sampled read of the campaign, on both fleets, never went backwards for the same
    meter (the legal magnitudes), and the final read is not below any of them.

Not checked here: rollover at 999999.999 kWh (a month is far from it), the 7-change limit of
the CT history (no CT writes), storage faults (other kinds).

Sizes: the month and the 1,000 meters as the issue says; 4-hour steps and 6 + 6 sampled
meters per step (plus the ten meter-faulted ones), the profile's 15-minute load steps. On the
ASan Debug build of a 2-core VM with other builds running (load 5-8) the test takes about
70 s: the campaign ~65 s (about 7,800 sampled reads, 250 fleet-wide and 540 single-meter
link faults, 20 power cuts, 360 tariff writes), the final 6,000 reads of both fleets ~1 s.
Every run is the same run: the same reads fail, the same counts result.

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/interop/test_fault_campaign.py --binary=PATH_TO_ambimeter
"""

import logging
import os
import random
import shutil
import struct
import tempfile
import time

import pytest
from pymodbus.client import ModbusTcpClient

from interop import Twin, port_of

logging.getLogger("pymodbus").setLevel(logging.CRITICAL)

SEED = 1515
METERS = 1000
DAYS = 30
STEP_S = 4 * 3600
STEPS = DAYS * 86400 // STEP_S
RANDOM_SAMPLE = 6        # meters read at random each step
FAULTED_SAMPLE = 6       # meters with an active link fault read each step
READ_TIMEOUT_S = 1.0     # fleet A: a fault's silence costs this much per read
CLEAN_TIMEOUT_S = 10.0   # fleet B has no faults: a slow answer there is a busy machine
ENERGY_READS = [(0x6000, 125), (0x607D, 20)]   # the 0x6000 block, 145 registers
SETTINGS_READ = (0x4000, 0x34)

FLEET_FILE = """\
[fleet]
seed = 15
serial = "19020246"

[profile.household]
step = "15m"
base_w = 450
spread = 0.3
noise = 0.15
pv_peak_w = 4000
pv_share = 0.5
ev_w = 11000
ev_share = 0.2
ev_window = "17:00-21:30"
ev_kwh = [6, 30]

[[group]]
name = "houses"
count = 1000
profile = "household"
"""

LINK_KINDS = ["no-reply", "delay", "bad-crc", "bit-errors", "truncate", "garbage",
              "wrong-unit", "exception", "collision"]


class CampaignFleet(Twin):
    """One of the two fleets: the fleet file above, stepped, in a folder of its own."""

    def __init__(self, binary, name):
        self.read_timeout = READ_TIMEOUT_S if name == "a" else CLEAN_TIMEOUT_S
        self.tmp = tempfile.mkdtemp(prefix=f"ambi-campaign-{name}-")
        path = os.path.join(self.tmp, "fleet.toml")
        with open(path, "w") as f:
            f.write(FLEET_FILE)
        super().__init__(binary, os.path.join(self.tmp, "state"), "--fleet", path,
                         "--clock", "stepped", "--mbus-tcp", "off",
                         "--modbus-tcp", "127.0.0.1:0")
        self.clients = {}

    def start(self, timeout=120.0):
        super().start(timeout)
        self.where = {}
        for offset in range(0, METERS, 1000):
            for m in self.ok("GET", f"/api/v1/meters?offset={offset}&limit=1000")["meters"]:
                self.where[m["serial"]] = (port_of(m["modbus"]["endpoint"]), m["modbus"]["unit"])
        assert len(self.where) == METERS
        return self

    def kill(self):
        for c in self.clients.values():
            c.close()
        super().kill()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def page(self):
        return self.ok("GET", "/api/v1/meters?limit=1000")["meters"]

    # -- Modbus through the gateways ---------------------------------------------------------
    def _client(self, port):
        c = self.clients.get(port)
        if c is None:
            c = ModbusTcpClient("127.0.0.1", port=port, timeout=self.read_timeout, retries=0,
                                retry_on_empty=False)
            assert c.connect(), f"gateway 127.0.0.1:{port} refused the connection"
            self.clients[port] = c
        return c

    def _drop(self, port):
        # After a failed exchange a late or stray reply could be taken for the next one's:
        # start on a fresh connection.
        c = self.clients.pop(port, None)
        if c is not None:
            c.close()

    def call(self, serial, what, *args):
        """One request to a meter; returns ("ok", registers|None) or ("exception", code) or
        ("error", text)."""
        port, unit = self.where[serial]
        c = self._client(port)
        try:
            r = getattr(c, what)(*args, slave=unit)
        except Exception as e:  # noqa: BLE001 (a garbled reply may break the decoder)
            self._drop(port)
            return "error", repr(e)
        if r.isError():
            code = getattr(r, "exception_code", None)
            if code is None:
                self._drop(port)
                return "error", str(r)
            return "exception", code
        return "ok", getattr(r, "registers", None)

    def read_block(self, serial, reads):
        """The words of `reads` (address, count) read one after the other; None if any failed."""
        words = []
        for address, count in reads:
            outcome, value = self.call(serial, "read_holding_registers", address, count)
            if outcome != "ok" or value is None or len(value) != count:
                return None
            words += value
        return words


@pytest.fixture(scope="module")
def fleets(binary):
    a = CampaignFleet(binary, "a")
    b = CampaignFleet(binary, "b")
    try:
        a.start()
        b.start()
        assert a.ready["meters"] == b.ready["meters"] == METERS
        assert sorted(a.where) == sorted(b.where)
        yield a, b
    finally:
        a.kill()
        b.kill()


# -- decoding -------------------------------------------------------------------------------
def energy_layout(fleet):
    """{name: offset in the 0x6000 block's words} of every energy register."""
    serial = next(iter(fleet.where))
    addresses = fleet.ok("GET", f"/api/v1/meters/{serial}/state")["energy_addresses"]
    return {name: int(address, 16) - 0x6000 for name, address in addresses.items()}


def wh(words, offset):
    """A Float ABCD energy register in whole Wh (exact below 4096 kWh: see the test)."""
    value = struct.unpack(">f", struct.pack(">HH", words[offset], words[offset + 1]))[0]
    return round(value * 1000)


def decode(layout, words):
    return {name: wh(words, offset) for name, offset in layout.items()}


def is_magnitude(name):
    """C8: the legal registers, which only grow: forward, reverse and quadrant."""
    return "forward" in name or "reverse" in name or name.startswith("q")


def legal_problems(e):
    """What is wrong with one meter's energy registers `e` (name: Wh), by PRODUCT.md."""
    bad = []
    for name, value in e.items():
        if is_magnitude(name) and value < 0:
            bad.append(f"{name} = {value} Wh is negative (R11)")
        if abs(value) >= 4096_000:
            bad.append(f"{name} = {value} Wh: beyond what a float shows to the Wh")

    def total(name, forward, reverse):            # C-04: total = shown F - shown R (R12, R27)
        if e[name] != e[forward] - e[reverse]:
            bad.append(f"{name} {e[name]} != {forward} {e[forward]} - {reverse} {e[reverse]}")

    def parts(name, names):                       # each part cut to Wh on its own (C1)
        gap = e[name] - sum(e[n] for n in names)
        if not 0 <= gap <= max(0, len(names) - 1):
            bad.append(f"{name} {e[name]} vs sum of {names} {sum(e[n] for n in names)}")

    for fam, unit in (("active", "kwh"), ("reactive", "kvarh")):
        for prefix in ("", "t1_", "t2_", "t3_", "t4_", "l1_", "l2_", "l3_"):
            total(f"{prefix}total_{fam}_{unit}", f"{prefix}forward_{fam}_{unit}",
                  f"{prefix}reverse_{fam}_{unit}")
        for d in ("forward", "reverse"):
            parts(f"{d}_{fam}_{unit}", [f"t{t}_{d}_{fam}_{unit}" for t in range(1, 5)])
            parts(f"{d}_{fam}_{unit}", [f"l{p}_{d}_{fam}_{unit}" for p in range(1, 4)])
    for q in range(1, 5):
        parts(f"q{q}_total_kvarh", [f"q{q}_t{t}_kvarh" for t in range(1, 5)])
    parts("forward_reactive_kvarh", ["q1_total_kvarh", "q2_total_kvarh"])
    parts("reverse_reactive_kvarh", ["q3_total_kvarh", "q4_total_kvarh"])
    if e["trip_kwh"] != e["total_active_kwh"]:       # never reset here
        bad.append(f"trip_kwh {e['trip_kwh']} != total_active_kwh {e['total_active_kwh']}")
    for p in range(1, 4):
        if e[f"trip_l{p}_kwh"] != e[f"l{p}_total_active_kwh"]:
            bad.append(f"trip_l{p}_kwh {e[f'trip_l{p}_kwh']} != l{p}_total_active_kwh")
    return bad


def went_back(before, after):
    """The legal magnitudes of `after` that are lower than in `before`."""
    return [f"{n}: {before[n]} -> {after[n]} Wh" for n in before
            if is_magnitude(n) and after[n] < before[n]]


# -- the campaign's random faults -----------------------------------------------------------
def link_fault(rng):
    kind = rng.choice(LINK_KINDS)
    body = {"kind": kind, "probability": rng.choice([1, 1, 0.5, 0.2, 0.05]),
            "start_s": rng.randrange(0, STEP_S), "seed": rng.randrange(1, 2**31)}
    duration = rng.choice([600, 3600, STEP_S, 86400, 3 * 86400, None])
    if duration is not None:
        body["duration_s"] = duration
    if kind == "delay":
        body.update(delay_ms=rng.randrange(5, 80), jitter_ms=rng.randrange(0, 40))
    elif kind == "bit-errors":
        body["bit_error_rate"] = rng.choice([0.0005, 0.002, 0.01])
    elif kind == "truncate":
        body["keep_bytes"] = rng.randrange(0, 40)
    elif kind == "garbage":
        body.update(garbage_bytes=rng.randrange(1, 17), after=rng.random() < 0.5)
    elif kind == "exception":
        body["exception_code"] = rng.choice([4, 5, 6])
    return body


# Meter faults, each with the bodies to try (the phase may be named or counted).
# The members of docs/faults.md, phases 1-3; without members last, for a server that knows
# the kind but not yet its members.
METER_FAULTS = [
    ("supply-lost", [{}]),
    ("phase-lost", [{"phase": 2}, {}]),
    ("phases-swapped", [{"phase": 1, "other_phase": 3}, {}]),
    ("ct-reversed", [{"phase": 3}, {}]),
    ("wrong-ct-ratio", [{"installed_ct": 100}, {}]),
]


def start_meter_fault(fleet, serial, kind, variants, window):
    """Starts a meter fault if the server knows the kind: the answer, or None on 422."""
    last = None
    for extra in variants:
        status, answer = fleet.request("POST", f"/api/v1/meters/{serial}/faults",
                                       {"kind": kind, **extra, **window})
        if status == 201:
            return answer
        assert status == 422, (kind, extra, status, answer)
        last = answer
        if 'unknown "kind"' in last.get("error", ""):
            return None           # the kind itself is unknown: no other body will do
    return None


def end_every_fault(fleet, also):
    """DELETEs every fault not yet ended of the meters with active link faults and of
    `also`; returns how many were active."""
    active = 0
    for serial in sorted({m["serial"] for m in fleet.page() if m["faults"] > 0} | set(also)):
        for f in fleet.ok("GET", f"/api/v1/meters/{serial}/faults")["faults"]:
            if not f["ended"]:
                fleet.ok("DELETE", f"/api/v1/meters/{serial}/faults/{f['id']}")
                active += f["active"]
    return active


def test_a_month_of_random_faults_changes_no_count(fleets):
    a, b = fleets
    began = time.monotonic()
    rng = random.Random(SEED)
    serials = sorted(a.where)
    layout = energy_layout(a)
    assert len(layout) == 72

    # Meter faults on a few meters of A, in windows spread over the month.
    meter_faulted, meter_kinds = set(), {}
    for kind, variants in METER_FAULTS:
        for serial in rng.sample(serials, 2):
            window = {"start_s": rng.randrange(0, DAYS * 86400 - 86400),
                      "duration_s": rng.choice([3600, 86400, 4 * 86400])}
            if start_meter_fault(a, serial, kind, variants, window) is not None:
                meter_faulted.add(serial)
                meter_kinds[kind] = meter_kinds.get(kind, 0) + 1

    history = {"a": {}, "b": {}}        # serial -> last energy read (Wh by name)
    writes_t34 = set()                  # meters of B that were written T3 or T4 while powered
    single = []                         # (serial, id) of open-ended single-meter faults
    windows = []                        # [serial, start s, end s or None] of those faults
    power_cut = None                    # (fraction, seed, steps left) of the cut in force
    stats = {"reads": 0, "a_failed": 0, "compared": 0, "fleet_faults": 0, "meter_link": 0,
             "deleted": 0, "cuts": 0, "writes": 0}

    def remember(side, serial, energy, when):
        before = history[side].get(serial)
        if before is not None:
            back = went_back(before, energy)
            assert not back, f"fleet {side} meter {serial} went backwards {when}: {back}"
        history[side][serial] = energy

    for step in range(STEPS):
        # Link faults: on seeded fractions of A and on single meters of A.
        for _ in range(rng.choice([1, 1, 2])):
            fraction, seed = rng.choice([0.005, 0.01, 0.02, 0.05]), rng.randrange(1, 10**6)
            body = link_fault(rng)
            body.setdefault("duration_s", rng.choice([3600, STEP_S, 86400]))
            answer = a.ok("POST", f"/api/v1/fleet/faults?fraction={fraction}&seed={seed}", body)
            assert answer["changed"] == answer["selected"] == round(fraction * METERS), answer
            stats["fleet_faults"] += 1
        for serial in rng.sample(serials, 3):
            status, f = a.request("POST", f"/api/v1/meters/{serial}/faults", link_fault(rng))
            assert status == 201, f
            stats["meter_link"] += 1
            window = [serial, f["start_ms"] // 1000, None]
            if f.get("end_ms") is None:
                single.append((serial, f["id"], window))
            else:
                window[2] = f["end_ms"] // 1000
            windows.append(window)
        for _ in range(min(len(single), rng.choice([0, 1, 2]))):
            serial, fid, window = single.pop(rng.randrange(len(single)))
            status, ended = a.request("DELETE", f"/api/v1/meters/{serial}/faults/{fid}")
            assert status == 200 and ended["ended"], ended
            window[2] = step * STEP_S
            stats["deleted"] += 1

        # Power cuts: to both fleets alike, undone alike a step or two later.
        if power_cut is not None:
            fraction, seed, left = power_cut
            if left == 0:
                for fleet in (a, b):
                    fleet.ok("POST", f"/api/v1/fleet/power?fraction={fraction}&seed={seed}",
                             {"on": True})
                power_cut = None
            else:
                power_cut = (fraction, seed, left - 1)
        elif rng.random() < 0.15:
            power_cut = (rng.choice([0.005, 0.01, 0.02]), rng.randrange(1, 10**6),
                         rng.choice([0, 1]))
            for fleet in (a, b):
                answer = fleet.ok("POST", f"/api/v1/fleet/power?fraction={power_cut[0]}"
                                  f"&seed={power_cut[1]}", {"on": False})
                assert answer["refused"] == 0, answer
            stats["cuts"] += 1

        a.advance(STEP_S)
        b.advance(STEP_S)

        # Harmless writes, the same to both fleets.
        off_b = {m["serial"] for m in b.ok("GET", "/api/v1/meters?limit=1000&supply=off")["meters"]}
        for serial in rng.sample(serials, 2):
            tariff = rng.choice([1, 1, 2, 2, 3, 4])
            for side, fleet in (("a", a), ("b", b)):
                outcome, value = fleet.call(serial, "write_register", 0x6048, tariff)
                if side == "b" and serial not in off_b:
                    assert outcome == "ok", (serial, outcome, value)
            if tariff >= 3 and serial not in off_b:
                writes_t34.add(serial)
            stats["writes"] += 1
        if step % 10 == 0:
            serial = rng.choice(serials)
            for side, fleet in (("a", a), ("b", b)):
                outcome, value = fleet.call(serial, "write_registers", 0x600C, [0, 0])
                if side == "b" and serial not in off_b:
                    assert (outcome, value) == ("exception", 2), (serial, outcome, value)

        # Sampled reads through the gateways, A then B at the same simulated instant.
        # (The meters with a single-meter fault active now, from the answers above: the
        # page of all meters with their fault counts costs a second and a half under ASan.)
        now = (step + 1) * STEP_S
        faulty = sorted({w[0] for w in windows if w[1] <= now and (w[2] is None or now < w[2])})
        sample = set(rng.sample(serials, RANDOM_SAMPLE))
        sample |= set(rng.sample(faulty, min(FAULTED_SAMPLE, len(faulty))))
        sample |= meter_faulted
        for serial in sorted(sample):
            got_a = a.read_block(serial, ENERGY_READS)
            got_b = b.read_block(serial, ENERGY_READS)
            stats["reads"] += 2
            when = f"at step {step} (day {(step + 1) * STEP_S / 86400:g})"
            if got_b is None:
                assert serial in off_b, f"B's meter {serial} did not answer {when}"
            else:
                remember("b", serial, decode(layout, got_b), when)
            if got_a is None:
                stats["a_failed"] += 1
                continue
            remember("a", serial, decode(layout, got_a), when)
            if serial not in meter_faulted:
                assert got_b is not None, f"A's meter {serial} answered without supply {when}"
                assert got_a == got_b, f"meter {serial}: A read other counts than B {when}"
                stats["compared"] += 1

    # The end: every fault ended, every supply back; then every meter of both fleets.
    if power_cut is not None:
        for fleet in (a, b):
            fleet.ok("POST", f"/api/v1/fleet/power?fraction={power_cut[0]}&seed={power_cut[1]}",
                     {"on": True})
    ended = end_every_fault(a, meter_faulted)
    assert a.proc.poll() is None and b.proc.poll() is None, "a fleet died"
    page_a = {m["serial"]: m for m in a.page()}
    page_b = b.page()
    assert not [m for m in page_a.values() if m["faults"] or not m["powered"]]
    assert not [m for m in page_b if m["faults"] or not m["powered"]]
    campaign_s = time.monotonic() - began

    final = {"a": {}, "b": {}}
    for side, fleet in (("a", a), ("b", b)):
        for serial in serials:
            settings = fleet.read_block(serial, [SETTINGS_READ])
            energy = fleet.read_block(serial, ENERGY_READS)
            assert settings is not None and energy is not None, \
                f"fleet {side} meter {serial} did not answer with every fault ended"
            final[side][serial] = (settings, energy)

    problems = []
    same = moved = 0
    for serial in serials:
        settings_b, words_b = final["b"][serial]
        settings_a, words_a = final["a"][serial]
        for side, (settings, words) in (("a", final["a"][serial]), ("b", final["b"][serial])):
            e = decode(layout, words)
            who = f"fleet {side} meter {serial}"
            problems += [f"{who}: {p}" for p in legal_problems(e)]
            if serial in history[side]:
                problems += [f"{who} final below a sampled read: {p}"
                             for p in went_back(history[side][serial], e)]
            error_code, status = settings[0x15], (settings[0x1D] << 16) | settings[0x1E]
            if error_code != 0:
                problems.append(f"{who}: error code {error_code:#x}")
            if settings[0x0F] != 4 or status & 0x08:
                problems.append(f"{who}: combination code {settings[0x0F]}, status {status:#x}")
            if settings[0x1F:0x21] != [0x0005, 0x0005]:
                problems.append(f"{who}: CT ratio {settings[0x1F:0x21]}")
            if side == "b" and serial in writes_t34 and not status & 0x04:
                problems.append(f"{who}: T3/T4 were activated and are not any more")
        if serial in meter_faulted:
            moved += words_a != words_b or settings_a[0x16] != settings_b[0x16]
            continue
        masked_a, masked_b = list(settings_a), list(settings_b)
        masked_a[0x1E] &= ~1
        masked_b[0x1E] &= ~1                    # bit 0: communication active (wall time)
        if words_a != words_b:
            diff = [n for n, off in layout.items()
                    if words_a[off:off + 2] != words_b[off:off + 2]]
            problems.append(f"meter {serial} (link faults only): A's {diff} differ from B's")
        elif masked_a != masked_b:
            diff = [hex(0x4000 + i) for i in range(len(masked_a)) if masked_a[i] != masked_b[i]]
            problems.append(f"meter {serial} (link faults only): A's {diff} differ from B's")
        else:
            same += 1
    for m in page_b:
        if m["serial"] in meter_faulted:
            continue
        mine = page_a[m["serial"]]
        got = (mine["forward_kwh"], mine["reverse_kwh"], mine["error_code"])
        if got != (m["forward_kwh"], m["reverse_kwh"], m["error_code"]):
            problems.append(f"meter {m['serial']}: the API shows A {got} and B "
                            f"{(m['forward_kwh'], m['reverse_kwh'], m['error_code'])}")
    summary = (f"campaign {campaign_s:.0f} s, total {time.monotonic() - began:.0f} s; {stats}; "
               f"meter faults {meter_kinds} on {len(meter_faulted)} meters; "
               f"{moved} of them count otherwise than in B; {ended} faults ended at the end; "
               f"{same} link-only meters equal to B")
    print(summary)
    assert not problems, f"{len(problems)} problems ({summary}):\n" + "\n".join(problems[:40])
    assert same == METERS - len(meter_faulted)
    assert stats["a_failed"] > 0 and stats["compared"] > 0, summary
    exported = sum(1 for s in serials if decode(layout, final["b"][s][1])["reverse_active_kwh"] > 0)
    assert exported > 0, "no meter exported: the combination code was not exercised"
