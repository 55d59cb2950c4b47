"""The twin's M-bus against libmbus, an implementation nobody here wrote (its C sources as the
npm package node-mbus ships them, built by tests/interop/build_libmbus.sh): every record of a
read checked against the physics of the reference load and the control API; primary and
secondary scans; selection; a new primary address; a baud switch on the pseudo-terminal.

FCB: libmbus's request-data sends REQ_UD2 as `10 7B A` (FCV set, FCB 1) on every run and
no SND_NKE to that address first. The manual says the access number goes up every time the
meter is read (A2.2), so every such read gets a fresh telegram; `--mbus-quirk fcb-repeat`
repeats the previous answer instead, as EN 13757-2 allows. Both are tested, and that a power
cycle or a loss of supply clears the link's RAM (selection, FCB memory, access number).

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/interop/test_mbus_libmbus.py --binary=PATH_TO_ambimeter
"""

import math
import socket

from interop import LOAD, phase_physics
from mbus_interop import MbusTwin, parse_xml, short, tool, tool_until


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


def request(libmbus, twin, address=0):
    code, out, err = tool(libmbus, "mbus-tcp-request-data", "127.0.0.1", twin.port, address)
    if code != 0:
        raise AssertionError(f"request-data {address}: exit {code}: {err}")
    return parse_xml(out)


def test_every_record_matches_the_physics(binary, libmbus):
    with MbusTwin(binary, pty=False) as twin:
        state = twin.reference()
        info, records = request(libmbus, twin)
        assert info["Id"] == "19020246", "id"
        assert info["Manufacturer"] == "INM", "manufacturer"
        assert info["Medium"] == "Electricity", "medium"
        assert info["AccessNumber"] == "1", "access number"
        assert info["Status"] == "00", "status"
        expected, api = expected_records(state)
        assert len(records) == 32, "32 records"
        for i, (unit, value) in enumerate(records):
            assert int(value) == expected[i], f"record {i} ({unit})"
        assert expected[0] == 3300, "forward Wh by physics"
        assert int(records[19][1]) == math.trunc(api["p"] * 1000), "total W agrees with the API"
        assert int(records[29][1]) == round(api["f"] * 1000), "mHz agrees with the API"
        assert [records[i][0] for i in (0, 13, 16, 19)] == ["Energy (Wh)", "1e-2  V", "m A", "Power (W)"], \
            "units as libmbus names them"
        assert "communication_active" in twin.state()["status"]["status_bits"], "communication flag"


def test_every_read_is_fresh(binary, libmbus):
    """The issue's steps: request-data three times with load on. libmbus sends `10 7B 00`
    every time; each read is a new reading (A2.2: the access number goes up by 1)."""
    with MbusTwin(binary, pty=False) as twin:
        twin.reference()
        reads = []
        for _ in range(3):
            info, records = request(libmbus, twin)
            reads.append((info["AccessNumber"], int(records[0][1])))
            twin.advance(3600)
        assert reads == [("1", 3300), ("2", 6600), ("3", 9900)], "access numbers 1, 2, 3 and the energy counting on"
        assert wh(twin.state()["energy"]["forward_active_kwh"]) == 13201, "the API agrees (4 h at 3300.26 W)"
    with MbusTwin(binary, "--mbus-quirk", "fcb-repeat", pty=False) as twin:
        assert twin.ready["mbus_quirks"] == ["fcb-repeat"], "ready lists the quirk"
        twin.reference()
        first, r1 = request(libmbus, twin)
        twin.advance(3600)
        again, r2 = request(libmbus, twin)
        assert (again["AccessNumber"], r2[0][1]) == (first["AccessNumber"], r1[0][1]), \
            "fcb-repeat: same FCB, the previous answer again"
        with socket.create_connection(("127.0.0.1", twin.port), timeout=5) as s:
            s.sendall(short(0x40, 0))
            assert s.recv(16) == b"\xe5", "SND_NKE acknowledged"
        fresh, r3 = request(libmbus, twin)
        assert (fresh["AccessNumber"], int(r3[0][1])) == ("2", 6600), "fcb-repeat: fresh after SND_NKE"


def test_a_power_cycle_clears_the_link_memory(binary, libmbus):
    """Selection, FCB memory and the access number are RAM: a power-up starts them afresh."""
    with MbusTwin(binary, "--mbus-quirk", "fcb-repeat", pty=False) as twin:
        twin.reference()
        code, out, err = tool(libmbus, "mbus-tcp-select-secondary", "127.0.0.1", twin.port, "19020246FFFFFFFF")
        assert "found [19020246CD250102]" in out, f"selected by secondary address: {out + err}"
        before, r_before = request(libmbus, twin)
        assert before["AccessNumber"] == "1", "access number 1 before the outage"
        twin.advance(3600)
        twin.ok("POST", "/api/v1/power-cycle", {"off_seconds": 60})
        after, r_after = request(libmbus, twin)
        assert (after["AccessNumber"], int(r_after[0][1])) == ("1", 6600), \
            "access number starts again, fresh energy (no FCB memory)"
        with socket.create_connection(("127.0.0.1", twin.port), timeout=5) as s:
            s.settimeout(0.5)
            s.sendall(short(0x5B, 0xFD))
            try:
                answer = s.recv(300)
            except socket.timeout:
                answer = b""
        assert answer == b"", "nothing selected after the power-up: FD is silent"
        assert twin.state()["status"]["power_down_counter"] == 2, "the power-down counter counted"
        assert int(r_before[0][1]) == 3300, "first read before the outage kept its values"


def test_no_supply_no_answer(binary, libmbus):
    """Without supply (switched off, or 0 V on every phase) the meter draws no current: libmbus
    times out; the power-down counter counts when the voltage returns."""
    with MbusTwin(binary, pty=False) as twin:
        twin.reference()
        twin.ok("POST", "/api/v1/power", {"on": False})
        code, out, err = tool(libmbus, "mbus-tcp-request-data", "127.0.0.1", twin.port, 0)
        assert code != 0 and "<Id>" not in out, f"switched off: no answer: {out + err}"
        twin.ok("POST", "/api/v1/power", {"on": True})
        info, _ = request(libmbus, twin)
        assert info["Status"] == "00", "back: answers with status 00"
        twin.set_load({"L1": {"v": 0, "i": 0}, "L2": {"v": 0, "i": 0}, "L3": {"v": 0, "i": 0}})
        assert twin.state()["power"]["powered"] == False, "0 V on all phases: not powered"
        code, out, err = tool(libmbus, "mbus-tcp-request-data", "127.0.0.1", twin.port, 0)
        assert code != 0 and "<Id>" not in out, f"0 V: no answer: {out + err}"
        pdc = twin.state()["status"]["power_down_counter"]
        twin.set_load(LOAD)
        assert twin.state()["status"]["power_down_counter"] == pdc + 1, "the voltage returns: one more power-up"
        info, _ = request(libmbus, twin)
        assert info["AccessNumber"] == "1", "reads again, access number from 1"


def test_scans_selection_and_a_new_address(binary, libmbus):
    with MbusTwin(binary) as twin:
        twin.reference()
        lines = tool_until(libmbus, "mbus-tcp-scan", ["127.0.0.1", twin.port], "Found")
        assert lines[-1:] == ["Found a M-Bus device at address 0"], "primary scan finds 0"
        code, out, err = tool(libmbus, "mbus-tcp-scan-secondary", "127.0.0.1", twin.port)
        assert code == 0 and "Found a device on secondary address 19020246CD250102" in out, \
            f"secondary scan with wildcards finds the meter: {out + err}"
        code, out, err = tool(libmbus, "mbus-tcp-select-secondary", "127.0.0.1", twin.port, "19020246FFFFFFFF")
        assert "found [19020246CD250102]" in out, f"select-secondary: {out + err}"
        code, out, err = tool(libmbus, "mbus-tcp-select-secondary", "127.0.0.1", twin.port, "12345678FFFFFFFF")
        assert "found [" not in out, f"no match for another id: {out + err}"
        code, out, err = tool(libmbus, "mbus-tcp-request-data", "127.0.0.1", twin.port, "19020246CD250102")
        assert code == 0 and "<Id>19020246</Id>" in out, f"read by secondary address: {out + err}"
        code, out, err = tool(libmbus, "mbus-serial-set-address", "-b", 2400, twin.pty, 0, 5)
        assert code == 0, "set-address on the pty"
        assert twin.state()["settings"]["mbus_id"] == 5, "the API shows address 5"
        lines = tool_until(libmbus, "mbus-tcp-scan", ["127.0.0.1", twin.port], "Found")
        assert lines[-1:] == ["Found a M-Bus device at address 5"], "primary scan finds 5"
        info, _ = request(libmbus, twin, 5)
        assert info["Id"] == "19020246", "read at 5"
        code, _, _ = tool(libmbus, "mbus-tcp-request-data", "127.0.0.1", twin.port, 0)
        assert code != 0, "no answer at 0 any more"


def test_serial_baud_switch(binary, libmbus):
    with MbusTwin(binary) as twin:
        twin.reference()
        code, out, err = tool(libmbus, "mbus-serial-request-data", "-b", 2400, twin.pty, 0)
        assert code == 0 and "<Id>19020246</Id>" in out, f"read on the pty at 2400: {out + err}"
        code, out, err = tool(libmbus, "mbus-serial-switch-baudrate", "-b", 2400, twin.pty, 0, 9600)
        assert code == 0 and "Switched baud rate" in out, f"switch to 9600: {out + err}"
        assert twin.state()["settings"]["mbus_baud"] == 9600, "the setting follows"
        code, out, err = tool(libmbus, "mbus-serial-request-data", "-b", 9600, twin.pty, 0)
        assert code == 0 and out.count("<DataRecord") == 32, f"read at 9600: {out + err}"
        assert "now 9600 baud, 8E1" in twin.stderr(), f"the switch is logged: {twin.stderr()}"

