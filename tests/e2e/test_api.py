"""End-to-end tests of `ambimeter run` and its JSON control API (docs/control-api.md).

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e/test_api.py --binary=PATH_TO_ambimeter
"""

import signal
import time

import pytest

from twin import Twin, run_cli

STEPPED = ("--clock", "stepped")
L1_ONLY_10A = {"L1": {"v": 230, "i": 10, "phi": 0}, "L2": {"i": 0}, "L3": {"i": 0}}
STATE_KEYS = ["time", "scenario", "power", "load", "measurement", "energy", "energy_addresses",
              "ct", "settings", "status", "identity", "s0"]


def test_state_shape(stepped_twin):
    t = stepped_twin
    s = t.state()
    assert list(s.keys()) == STATE_KEYS
    assert s["time"] == {"sim_ms": 0, "clock": "stepped", "speed": 1.0}
    assert s["power"] == {"powered": True, "supply_on": True}
    assert s["load"]["L2"] == {"v": 230.0, "i": 0.0, "phi": 0.0}, "default load"
    assert len(s["energy"]) == 72, "energy register count (manual A3.2 0x6000 block)"
    assert s["energy_addresses"]["l1_forward_active_kwh"] == "0x6012"
    assert s["energy_addresses"]["trip_l3_kwh"] == "0x608F"
    assert s["energy_addresses"]["q4_t4_kvarh"] == "0x6089"
    assert "password" not in s["settings"]
    assert {k: s["settings"][k] for k in ("modbus_baud", "parity", "s0_rate", "pulse_type", "combination")} == \
        {"modbus_baud": 9600, "parity": "even", "s0_rate": 1000.0, "pulse_type": "active&reactive",
         "combination": "C-04"}, "settings defaults"
    assert (s["identity"]["serial"], s["identity"]["meter_code"], s["identity"]["checksum1"]) == \
        ("19020246", "1113", "21001416"), "identity"
    assert (s["status"]["power_down_counter"], s["status"]["error_code"], s["status"]["stopped"],
            s["status"]["tariff"]) == (1, 0, False, 1), "status"
    assert s["ct"] == {"ratio": "5/5", "changes": 0, "history": []}
    assert [o["output"] for o in s["s0"]] == [1, 2], "s0 outputs"
    assert t.ready["endpoints"]["advance"] == "POST /api/v1/clock/advance", "ready endpoints"


def test_stepped_energy(stepped_twin):
    t = stepped_twin
    t.set_load(L1_ONLY_10A)
    answer = t.advance(3600)
    assert (answer["sim_ms"], answer["advanced_ms"]) == (3_600_000, 3_600_000), "advance answer"
    e = t.state()["energy"]
    assert e["l1_forward_active_kwh"] == 2.3, "l1 forward after 1 h at 2.3 kW"
    assert e["total_active_kwh"] == 2.3, "total after 1 h at 2.3 kW"
    assert e["t1_total_active_kwh"] == 2.3
    assert e["l2_forward_active_kwh"] == 0.0
    t.advance(0.5)
    assert t.state()["time"]["sim_ms"] == 3_600_500, "fractional advance"
    status, body = t.post("/api/v1/clock/advance", {"seconds": 0})
    assert status == 422, "advance 0 s refused"
    status, body = t.post("/api/v1/clock/advance", {})
    assert status == 422, "advance without seconds"


def test_real_clock_refuses_advance(binary, tmp_path):
    with Twin(binary, str(tmp_path / "state")) as t:
        status, body = t.post("/api/v1/clock/advance", {"seconds": 10})
        assert status == 409, "advance in real mode"
        assert "--clock stepped" in body.get("error", ""), "409 message names --clock stepped"
        time.sleep(0.3)
        assert t.state()["time"]["sim_ms"] >= 250, "real clock runs"


def settings_of(t):
    return t.state()["settings"]


def test_settings(stepped_twin):
    t = stepped_twin
    before = settings_of(t)
    status, body = t.put("/api/v1/settings", {"password": "1234", "settings": {"modbus_id": 10}})
    assert status == 403, "wrong password"
    status, _ = t.put("/api/v1/settings", {"settings": {"modbus_id": 10}})
    assert status == 403, "missing password"
    assert settings_of(t) == before, "nothing changed after 403"
    status, body = t.put("/api/v1/settings", {"password": "0000", "settings": {"lcd_cycle_s": 10, "modbus_id": 300}})
    assert status == 422, "modbus_id 300"
    assert "Modbus ID" in body.get("error", ""), "422 names the setting"
    assert settings_of(t) == before, "nothing changed after 422"
    status, body = t.put("/api/v1/settings", {"password": "0000", "settings": {"colour": 1}})
    assert status == 422 and "modbus_id" in body.get("error", ""), f"unknown setting: {body}"
    status, _ = t.put("/api/v1/settings", {"password": "0000", "settings": {"obis": "yes"}})
    assert status == 422, "bad type"
    wanted = {"modbus_id": 10, "modbus_baud": 19200, "parity": "none", "mbus_id": 5,
              "mbus_baud": 9600, "s0_rate": 100, "pulse_type": "forward&reverse",
              "pulse_width_ms": 50, "combination": "C-03", "lcd_cycle_s": 10,
              "backlight": "on", "screen_direction": 1, "obis": False, "data_type": "integer",
              "tariff": 3, "ct_ratio": "500/5", "mbus_secondary_id": "45230115"}
    status, body = t.put("/api/v1/settings", {"password": "0000", "settings": wanted})
    assert status == 200, f"all settings at once: {body}"
    after = settings_of(t)
    assert {k: after[k] for k in wanted} == wanted, "settings read back"
    assert t.state()["status"]["t3_t4_activated"] is True, "T3 activated"


def test_one_way_doors(stepped_twin):
    t = stepped_twin

    def put(settings):
        return t.put("/api/v1/settings", {"password": "0000", "settings": settings})

    assert put({"combination": "C-05"})[0] == 200, "set C-05"
    status, body = put({"combination": "C-04"})
    assert status == 409, "C-05 then C-04"
    assert settings_of(t)["combination"] == "C-05", "still C-05"
    for n in range(1, 8):
        assert put({"ct_ratio": f"{n * 10}/5"})[0] == 200, f"CT change {n}"
    status, body = put({"ct_ratio": "100/5"})
    assert status == 409, "8th CT change"
    ct = t.state()["ct"]
    assert (ct["ratio"], ct["changes"], len(ct["history"])) == ("70/5", 7, 7), "CT after refusal"


def test_tariff_input(stepped_twin):
    t = stepped_twin
    t.set_load(L1_ONLY_10A)
    answer = t.ok("PUT", "/api/v1/tariff-input", {"energized": True})
    assert answer == {"tariff_input": True, "tariff": 2}, "tariff input selects T2"
    t.advance(3600)
    e = t.state()["energy"]
    assert (e["t1_total_active_kwh"], e["t2_total_active_kwh"]) == (0.0, 2.3), "T2 energy"
    t.ok("PUT", "/api/v1/tariff-input", {"energized": False})
    assert t.state()["status"]["tariff"] == 1, "de-energized selects T1"


def test_power(stepped_twin):
    t = stepped_twin
    t.set_load(L1_ONLY_10A)
    answer = t.ok("POST", "/api/v1/power-cycle", {})
    assert answer["power_down_counter"] == 2, "power-cycle counts"
    answer = t.ok("POST", "/api/v1/power-cycle", {"off_seconds": 1800})
    assert (answer["power_down_counter"], answer["sim_ms"]) == (3, 1_800_000), "power-cycle with off time"
    assert t.state()["energy"]["total_active_kwh"] == 0.0, "no energy while off"
    t.ok("POST", "/api/v1/power", {"on": False})
    t.advance(3600)
    s = t.state()
    assert (s["power"]["powered"], s["energy"]["total_active_kwh"], s["measurement"]["L1"]["p_kw"]) == \
        (False, 0.0, 0.0), "held off"
    code, body = t.request("PUT", "/api/v1/settings", {"password": "0000", "settings": {"tariff": 2}})
    assert (code, "no supply" in body.get("error", "")) == (409, True), f"no supply: nothing can be set: {body}"
    code, body = t.request("POST", "/api/v1/reset", {"password": "0000", "what": "trip_counter"})
    assert code == 409, "no supply: no reset either"
    answer = t.ok("POST", "/api/v1/power", {"on": True})
    assert answer["power_down_counter"] == 4, "back on counts"
    assert t.state()["status"]["tariff"] == 1, "the tariff did not change"
    t.set_load({"L1": {"v": 0, "i": 0}, "L2": {"v": 0}, "L3": {"v": 0}})
    assert t.state()["power"] == {"powered": False, "supply_on": True}, "0 V on every phase is a loss of supply"
    assert t.ok("GET", "/api/v1/panel")["mode"] == "off", "the LCD is dark"
    t.set_load({"L2": {"v": 184, "i": 0}})
    assert (t.state()["power"]["powered"], t.state()["status"]["power_down_counter"]) == (True, 5), \
        "184 V on one phase: counted when the voltage returns"


def test_restart_keeps_state(binary, new_dir):
    state_dir = new_dir()
    with Twin(binary, state_dir, *STEPPED) as t:
        t.set_load(L1_ONLY_10A)
        t.advance(7200)
        before = t.state()
        assert t.terminate() == 0, "clean stop exit code"
    with Twin(binary, state_dir, *STEPPED) as t:
        after = t.state()
        assert after["energy"] == before["energy"], "energy kept over restart"
        assert after["status"]["power_down_counter"] == before["status"]["power_down_counter"] + 1, \
            "power-down counter +1"
        assert t.ready["fresh"] is False, "fresh flag"


def test_sigterm_saves(binary, new_dir):
    state_dir = new_dir()
    args = STEPPED + ("--persist-interval", "3600")
    with Twin(binary, state_dir, *args) as t:
        t.set_load({"L1": {"v": 230, "i": 5}, "L2": {"v": 230, "i": 5}, "L3": {"v": 230, "i": 5}})
        t.advance(1000)
        energy = t.state()["energy"]
        assert t.terminate(signal.SIGTERM) == 0, "SIGTERM exit code"
    with Twin(binary, state_dir, *args) as t:
        assert t.state()["energy"] == energy, "energy saved by SIGTERM"
        t.set_load({"L1": {"i": 1}})
        t.advance(100)
        energy = t.state()["energy"]
        assert t.terminate(signal.SIGINT) == 0, "SIGINT exit code"
    with Twin(binary, state_dir, *args) as t:
        assert t.state()["energy"] == energy, "energy saved by SIGINT"


def test_side_by_side(binary, new_dir):
    with Twin(binary, new_dir(), *STEPPED) as a, Twin(binary, new_dir(), *STEPPED) as b:
        assert a.url != b.url, "different ports"
        a.set_load(L1_ONLY_10A)
        a.advance(3600)
        assert a.state()["energy"]["total_active_kwh"] == 2.3, "twin a"
        assert b.state()["energy"]["total_active_kwh"] == 0.0, "twin b untouched"


def test_state_dir_and_port_in_use(binary, new_dir):
    state_dir = new_dir()
    with Twin(binary, state_dir, *STEPPED) as t:
        code, _, err = run_cli(binary, ["run", "--http", "127.0.0.1:0", "--state", state_dir])
        assert code == 2, f"same state dir twice: exit code: {err}"
        assert "in use" in err and "--state" in err, "same state dir twice: message"
        port = t.url.rsplit(":", 1)[1]
        code, _, err = run_cli(binary, ["run", "--http", f"127.0.0.1:{port}", "--state", new_dir()])
        assert code == 2, f"port in use: exit code: {err}"
        assert f"cannot listen on 127.0.0.1:{port}: address in use; choose another with --http" in err, \
            "port in use: message"


@pytest.mark.parametrize("args, needle", [
    pytest.param(["--load", "L1=abc"], "--load", id="bad --load"),
    pytest.param(["--load", "L1=2000V"], "--load", id="out-of-range --load"),
    pytest.param(["--scenario", "TMP/none.csv"], "none.csv", id="missing scenario file"),
    pytest.param(["--clock", "stepped", "--speed", "2"], "--speed", id="--speed with stepped"),
    pytest.param(["--speed", "0"], "--speed", id="bad --speed"),
    pytest.param(["--clock", "fast"], "--clock", id="bad --clock"),
    pytest.param(["--http", "nohost"], "--http", id="bad --http"),
    pytest.param(["--serial", "12ab"], "--serial", id="bad --serial"),
    pytest.param(["--frobnicate"], "frobnicate", id="unknown flag"),
])
def test_user_error(binary, new_dir, tmp_path, args, needle):
    """A user error is exit 2 and one line on stderr naming it, nothing on stdout."""
    args = [a.replace("TMP", str(tmp_path)) for a in args]
    code, out, err = run_cli(binary, ["run", "--state", new_dir()] + args)
    assert code == 2, f"exit code: {err}"
    assert needle in err and err.count("\n") == 1, "one line naming it"
    assert out == "", "nothing on stdout"


def test_version(binary):
    code, out, _ = run_cli(binary, ["--version"])
    assert code == 0 and out.startswith("ambimeter "), out


def test_one_year(stepped_twin):
    t = stepped_twin
    t.set_load({"L1": {"v": 230, "i": 1000 / 230, "phi": 0}, "L2": {"i": 0}, "L3": {"i": 0}})
    started = time.monotonic()
    t.advance(31_536_000)
    took = time.monotonic() - started
    e = t.state()["energy"]
    assert e["total_active_kwh"] == 8760.0, "one year at 1 kW"
    assert e["l1_forward_active_kwh"] == 8760.0, "one year, L1 forward"
    assert took < 5.0, f"one year takes under 5 s: {took:.2f} s"


def test_http_errors(stepped_twin):
    t = stepped_twin
    before = t.state()["load"]
    status, body = t.put("/api/v1/load", {"L1": {"v": 2000}})
    assert status == 422 and "voltage" in body.get("error", ""), f"load out of range: {body}"
    assert t.state()["load"] == before, "load unchanged"
    assert t.put("/api/v1/load", {"L4": {}})[0] == 422, "unknown load member"
    assert t.request("PUT", "/api/v1/load", raw=b"{nope")[0] == 400, "invalid JSON"
    assert t.request("PUT", "/api/v1/load", raw=b"[1]")[0] == 400, "not an object"
    assert t.get("/api/v1/nothing")[0] == 404, "unknown path"
    assert t.request("DELETE", "/api/v1/state")[0] == 405, "wrong method"
    assert t.request("PUT", "/api/v1/load", raw=b" " * 70000)[0] == 413, "body too large"
    assert t.get("/api/v1/state")[0] == 200, "still serving"


def test_resets(stepped_twin):
    t = stepped_twin
    t.set_load(L1_ONLY_10A)
    t.advance(3600)
    status, _ = t.post("/api/v1/reset", {"password": "9999", "what": "trip_counter"})
    assert status == 403, "reset with wrong password"
    assert t.state()["energy"]["trip_kwh"] == 2.3, "trip kept"
    answer = t.ok("POST", "/api/v1/reset", {"password": "0000", "what": "trip_counter"})
    assert answer["trip_kwh"] == 0.0, "trip reset"
    assert t.state()["energy"]["total_active_kwh"] == 2.3, "total kept"
    answer = t.ok("POST", "/api/v1/reset", {"password": "0000", "what": "power_down_counter"})
    assert answer["power_down_counter"] == 0, "power-down counter reset"
    assert t.post("/api/v1/reset", {"password": "0000", "what": "all"})[0] == 422, "unknown reset"


def test_scenario(binary, new_dir, tmp_path):
    with Twin(binary, new_dir(), *STEPPED, "--scenario", "demo") as t:
        assert t.ready["scenario"]["name"] == "demo", "demo scenario in the ready line"
        t.advance(86_400)
        s = t.state()
        assert s["scenario"]["position_ms"] == 86_400_000, "scenario position"
        assert s["energy"]["forward_active_kwh"] > 0, "the demo day imports energy"
        answer = t.set_load(L1_ONLY_10A)
        assert (answer["scenario"], t.state()["scenario"]) == (None, None), "a manual load stops the scenario"
        answer = t.ok("PUT", "/api/v1/scenario", {"csv": "t,L1_v,L1_i\n0,230,1\n"})
        assert answer["scenario"]["position_ms"] == 0, "csv scenario"
        assert t.put("/api/v1/scenario", {"csv": "t,L9_x\n0,1\n"})[0] == 422, "bad csv scenario"
    path = str(tmp_path / "steps.csv")
    with open(path, "w") as f:
        f.write("t,L1_v,L1_i,L1_phi\n0,230,10,0\n3600,230,0,0\n")
    with Twin(binary, new_dir(), *STEPPED, "--scenario", path) as t:
        assert t.ready["scenario"]["name"] == "steps.csv", "file scenario name"
        t.advance(7200)
        assert t.state()["energy"]["l1_forward_active_kwh"] == 2.3, "file scenario energy"
    with open(path, "w") as f:
        f.write("t,L1_v\n0,abc\n")
    code, _, err = run_cli(binary, ["run", "--state", new_dir(), "--scenario", path])
    assert code == 2 and path in err, f"bad scenario file: exit 2 naming the file: {err}"
