"""The twin's M-bus against libmbus, an implementation nobody here wrote (its C sources as the
npm package node-mbus ships them, built by tests/interop/build_libmbus.sh): every record of a
read checked against the physics of the reference load and the control API; primary and
secondary scans; selection; a new primary address; a baud switch on the pseudo-terminal.

FCB: libmbus's request-data sends REQ_UD2 as `10 7B A` (FCV set, FCB 1) on every run and
no SND_NKE to that address first. The manual says the access number goes up every time the
meter is read (A2.2), so every such read gets a fresh telegram; `--mbus-quirk fcb-repeat`
repeats the previous answer instead, as EN 13757-2 allows. Both are tested, and that a power
cycle or a loss of supply clears the link's RAM (selection, FCB memory, access number).

    /usr/bin/python3 test_mbus_libmbus.py PATH_TO_ambimeter
"""

import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from interop import LOAD, Checks, binary_from_argv, phase_physics  # noqa: E402
from mbus_interop import MbusTwin, libmbus_bin, parse_xml, short, tool, tool_until  # noqa: E402

import socket  # noqa: E402


def wh(kwh):
    return round(kwh * 1000)


def expected_records(state):
    """The 32 raw values of the RSP_UD, in order, from the API state and the physics."""
    e, m = state["energy"], state["measurement"]
    phases = [phase_physics(n) for n in ("L1", "L2", "L3")]
    p_total = sum(p[2] for p in phases)
    q_total = sum(p[3] for p in phases)
    s_total = sum(p[4] for p in phases)
    values = [wh(e["forward_active_kwh"])] + [wh(e[f"t{t}_forward_active_kwh"]) for t in range(1, 5)]
    values += [wh(e["reverse_active_kwh"])] + [wh(e[f"t{t}_reverse_active_kwh"]) for t in range(1, 5)]
    values += [wh(e["trip_kwh"]), wh(e["forward_reactive_kvarh"]), wh(e["reverse_reactive_kvarh"])]
    values += [math.trunc(p[0] * 100) for p in phases]
    values += [math.trunc(p[1] * 1000) for p in phases]
    values += [math.trunc(p_total * 1000)] + [math.trunc(p[2] * 1000) for p in phases]
    values += [math.trunc(q_total * 1000)] + [math.trunc(p[3] * 1000) for p in phases]
    values += [math.trunc(s_total * 1000), math.trunc(p_total / s_total * 100), 50000, state["status"]["tariff"]]
    primary, secondary = state["settings"]["ct_ratio"].split("/")
    values += [int(primary) * 100 + int(secondary)]
    checks_from_api = {"p": m["total"]["p_kw"], "f": m["hz"]}
    return values, checks_from_api


def request(bindir, twin, address=0):
    code, out, err = tool(bindir, "mbus-tcp-request-data", "127.0.0.1", twin.port, address)
    if code != 0:
        raise AssertionError(f"request-data {address}: exit {code}: {err}")
    return parse_xml(out)


def test_every_record_matches_the_physics(checks, binary, bindir):
    with MbusTwin(binary, pty=False) as twin:
        state = twin.reference()
        info, records = request(bindir, twin)
        checks.equal("id", info["Id"], "19020246")
        checks.equal("manufacturer", info["Manufacturer"], "INM")
        checks.equal("medium", info["Medium"], "Electricity")
        checks.equal("access number", info["AccessNumber"], "1")
        checks.equal("status", info["Status"], "00")
        expected, api = expected_records(state)
        checks.equal("32 records", len(records), 32)
        for i, (unit, value) in enumerate(records):
            checks.equal(f"record {i} ({unit})", int(value), expected[i])
        checks.equal("forward Wh by physics", expected[0], 3300)
        checks.equal("total W agrees with the API", int(records[19][1]), math.trunc(api["p"] * 1000))
        checks.equal("mHz agrees with the API", int(records[29][1]), round(api["f"] * 1000))
        checks.equal("units as libmbus names them", [records[i][0] for i in (0, 13, 16, 19)],
                     ["Energy (Wh)", "1e-2  V", "m A", "Power (W)"])
        checks.check("communication flag", "communication_active" in twin.state()["status"]["status_bits"])


def test_every_read_is_fresh(checks, binary, bindir):
    """The issue's steps: request-data three times with load on. libmbus sends `10 7B 00`
    every time; each read is a new reading (A2.2: the access number goes up by 1)."""
    with MbusTwin(binary, pty=False) as twin:
        twin.reference()
        reads = []
        for _ in range(3):
            info, records = request(bindir, twin)
            reads.append((info["AccessNumber"], int(records[0][1])))
            twin.advance(3600)
        checks.equal("access numbers 1, 2, 3 and the energy counting on", reads,
                     [("1", 3300), ("2", 6600), ("3", 9900)])
        checks.equal("the API agrees (4 h at 3300.26 W)", wh(twin.state()["energy"]["forward_active_kwh"]), 13201)
    with MbusTwin(binary, "--mbus-quirk", "fcb-repeat", pty=False) as twin:
        checks.equal("ready lists the quirk", twin.ready["mbus_quirks"], ["fcb-repeat"])
        twin.reference()
        first, r1 = request(bindir, twin)
        twin.advance(3600)
        again, r2 = request(bindir, twin)
        checks.equal("fcb-repeat: same FCB, the previous answer again",
                     (again["AccessNumber"], r2[0][1]), (first["AccessNumber"], r1[0][1]))
        with socket.create_connection(("127.0.0.1", twin.port), timeout=5) as s:
            s.sendall(short(0x40, 0))
            checks.equal("SND_NKE acknowledged", s.recv(16), b"\xe5")
        fresh, r3 = request(bindir, twin)
        checks.equal("fcb-repeat: fresh after SND_NKE", (fresh["AccessNumber"], int(r3[0][1])), ("2", 6600))


def test_a_power_cycle_clears_the_link_memory(checks, binary, bindir):
    """Selection, FCB memory and the access number are RAM: a power-up starts them afresh."""
    with MbusTwin(binary, "--mbus-quirk", "fcb-repeat", pty=False) as twin:
        twin.reference()
        code, out, err = tool(bindir, "mbus-tcp-select-secondary", "127.0.0.1", twin.port, "19020246FFFFFFFF")
        checks.check("selected by secondary address", "found [19020246CD250102]" in out, out + err)
        before, r_before = request(bindir, twin)
        checks.equal("access number 1 before the outage", before["AccessNumber"], "1")
        twin.advance(3600)
        twin.ok("POST", "/api/v1/power-cycle", {"off_seconds": 60})
        after, r_after = request(bindir, twin)
        checks.equal("access number starts again, fresh energy (no FCB memory)",
                     (after["AccessNumber"], int(r_after[0][1])), ("1", 6600))
        with socket.create_connection(("127.0.0.1", twin.port), timeout=5) as s:
            s.settimeout(0.5)
            s.sendall(short(0x5B, 0xFD))
            try:
                answer = s.recv(300)
            except socket.timeout:
                answer = b""
        checks.equal("nothing selected after the power-up: FD is silent", answer, b"")
        checks.equal("the power-down counter counted", twin.state()["status"]["power_down_counter"], 2)
        checks.equal("first read before the outage kept its values", int(r_before[0][1]), 3300)


def test_no_supply_no_answer(checks, binary, bindir):
    """Without supply (switched off, or 0 V on every phase) the meter draws no current: libmbus
    times out; the power-down counter counts when the voltage returns."""
    with MbusTwin(binary, pty=False) as twin:
        twin.reference()
        twin.ok("POST", "/api/v1/power", {"on": False})
        code, out, err = tool(bindir, "mbus-tcp-request-data", "127.0.0.1", twin.port, 0)
        checks.check("switched off: no answer", code != 0 and "<Id>" not in out, out + err)
        twin.ok("POST", "/api/v1/power", {"on": True})
        info, _ = request(bindir, twin)
        checks.equal("back: answers with status 00", info["Status"], "00")
        twin.set_load({"L1": {"v": 0, "i": 0}, "L2": {"v": 0, "i": 0}, "L3": {"v": 0, "i": 0}})
        checks.equal("0 V on all phases: not powered", twin.state()["power"]["powered"], False)
        code, out, err = tool(bindir, "mbus-tcp-request-data", "127.0.0.1", twin.port, 0)
        checks.check("0 V: no answer", code != 0 and "<Id>" not in out, out + err)
        pdc = twin.state()["status"]["power_down_counter"]
        twin.set_load(LOAD)
        checks.equal("the voltage returns: one more power-up", twin.state()["status"]["power_down_counter"], pdc + 1)
        info, _ = request(bindir, twin)
        checks.equal("reads again, access number from 1", info["AccessNumber"], "1")


def test_scans_selection_and_a_new_address(checks, binary, bindir):
    with MbusTwin(binary) as twin:
        twin.reference()
        lines = tool_until(bindir, "mbus-tcp-scan", ["127.0.0.1", twin.port], "Found")
        checks.equal("primary scan finds 0", lines[-1:], ["Found a M-Bus device at address 0"])
        code, out, err = tool(bindir, "mbus-tcp-scan-secondary", "127.0.0.1", twin.port)
        checks.check("secondary scan with wildcards finds the meter",
                     code == 0 and "Found a device on secondary address 19020246CD250102" in out, out + err)
        code, out, err = tool(bindir, "mbus-tcp-select-secondary", "127.0.0.1", twin.port, "19020246FFFFFFFF")
        checks.check("select-secondary", "found [19020246CD250102]" in out, out + err)
        code, out, err = tool(bindir, "mbus-tcp-select-secondary", "127.0.0.1", twin.port, "12345678FFFFFFFF")
        checks.check("no match for another id", "found [" not in out, out + err)
        code, out, err = tool(bindir, "mbus-tcp-request-data", "127.0.0.1", twin.port, "19020246CD250102")
        checks.check("read by secondary address", code == 0 and "<Id>19020246</Id>" in out, out + err)
        code, out, err = tool(bindir, "mbus-serial-set-address", "-b", 2400, twin.pty, 0, 5)
        checks.equal("set-address on the pty", code, 0)
        checks.equal("the API shows address 5", twin.state()["settings"]["mbus_id"], 5)
        lines = tool_until(bindir, "mbus-tcp-scan", ["127.0.0.1", twin.port], "Found")
        checks.equal("primary scan finds 5", lines[-1:], ["Found a M-Bus device at address 5"])
        info, _ = request(bindir, twin, 5)
        checks.equal("read at 5", info["Id"], "19020246")
        code, _, _ = tool(bindir, "mbus-tcp-request-data", "127.0.0.1", twin.port, 0)
        checks.check("no answer at 0 any more", code != 0)


def test_serial_baud_switch(checks, binary, bindir):
    with MbusTwin(binary) as twin:
        twin.reference()
        code, out, err = tool(bindir, "mbus-serial-request-data", "-b", 2400, twin.pty, 0)
        checks.check("read on the pty at 2400", code == 0 and "<Id>19020246</Id>" in out, out + err)
        code, out, err = tool(bindir, "mbus-serial-switch-baudrate", "-b", 2400, twin.pty, 0, 9600)
        checks.check("switch to 9600", code == 0 and "Switched baud rate" in out, out + err)
        checks.equal("the setting follows", twin.state()["settings"]["mbus_baud"], 9600)
        code, out, err = tool(bindir, "mbus-serial-request-data", "-b", 9600, twin.pty, 0)
        checks.check("read at 9600", code == 0 and out.count("<DataRecord") == 32, out + err)
        checks.check("the switch is logged", "now 9600 baud, 8E1" in twin.stderr(), twin.stderr())


def main():
    binary = binary_from_argv()
    checks = Checks("mbus libmbus")
    bindir = libmbus_bin(binary)
    for name, fn in [("every record matches the physics", test_every_record_matches_the_physics),
                     ("every read is fresh (the fcb-repeat quirk repeats)", test_every_read_is_fresh),
                     ("a power cycle clears the link memory", test_a_power_cycle_clears_the_link_memory),
                     ("no supply, no answer", test_no_supply_no_answer),
                     ("scans, selection and a new address", test_scans_selection_and_a_new_address),
                     ("serial baud switch", test_serial_baud_switch)]:
        checks.run(name, fn, binary, bindir)
    sys.exit(checks.finish())


if __name__ == "__main__":
    main()
