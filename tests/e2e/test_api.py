"""End-to-end tests of `ambimeter run` and its JSON control API (docs/control-api.md).

Usage: /usr/bin/python3 tests/e2e/test_api.py PATH_TO_ambimeter
"""

import os
import signal
import socket
import sys
import tempfile
import time

sys.dont_write_bytecode = True
from twin import Checks, Twin, binary_from_argv, run_cli  # noqa: E402

STEPPED = ("--clock", "stepped")
L1_ONLY_10A = {"L1": {"v": 230, "i": 10, "phi": 0}, "L2": {"i": 0}, "L3": {"i": 0}}
STATE_KEYS = ["time", "scenario", "power", "load", "measurement", "energy", "energy_addresses",
              "ct", "settings", "status", "identity", "s0"]


def new_dir(tmp):
    return tempfile.mkdtemp(dir=tmp)


def test_state_shape(c, binary, tmp):
    with Twin(binary, new_dir(tmp), *STEPPED) as t:
        s = t.state()
        c.equal("state keys", list(s.keys()), STATE_KEYS)
        c.equal("time", s["time"], {"sim_ms": 0, "clock": "stepped", "speed": 1.0})
        c.equal("powered", s["power"], {"powered": True, "supply_on": True})
        c.equal("default load", s["load"]["L2"], {"v": 230.0, "i": 0.0, "phi": 0.0})
        c.equal("energy register count (manual A3.2 0x6000 block)", len(s["energy"]), 72)
        c.equal("address of l1 forward", s["energy_addresses"]["l1_forward_active_kwh"], "0x6012")
        c.equal("address of trip L3", s["energy_addresses"]["trip_l3_kwh"], "0x608F")
        c.equal("address of Q4 T4", s["energy_addresses"]["q4_t4_kvarh"], "0x6089")
        c.check("no password in settings", "password" not in s["settings"], s["settings"])
        c.equal("settings defaults", {k: s["settings"][k] for k in
                                      ("modbus_baud", "parity", "s0_rate", "pulse_type", "combination")},
                {"modbus_baud": 9600, "parity": "even", "s0_rate": 1000.0,
                 "pulse_type": "active&reactive", "combination": "C-04"})
        c.equal("identity", (s["identity"]["serial"], s["identity"]["meter_code"],
                             s["identity"]["checksum1"]), ("19020246", "1113", "21001416"))
        c.equal("status", (s["status"]["power_down_counter"], s["status"]["error_code"],
                           s["status"]["stopped"], s["status"]["tariff"]), (1, 0, False, 1))
        c.equal("ct", s["ct"], {"ratio": "5/5", "changes": 0, "history": []})
        c.equal("s0 outputs", [o["output"] for o in s["s0"]], [1, 2])
        c.equal("ready endpoints", t.ready["endpoints"]["advance"], "POST /api/v1/clock/advance")


def test_stepped_energy(c, binary, tmp):
    with Twin(binary, new_dir(tmp), *STEPPED) as t:
        t.set_load(L1_ONLY_10A)
        answer = t.advance(3600)
        c.equal("advance answer", (answer["sim_ms"], answer["advanced_ms"]), (3_600_000, 3_600_000))
        e = t.state()["energy"]
        c.equal("l1 forward after 1 h at 2.3 kW", e["l1_forward_active_kwh"], 2.3)
        c.equal("total after 1 h at 2.3 kW", e["total_active_kwh"], 2.3)
        c.equal("t1 total", e["t1_total_active_kwh"], 2.3)
        c.equal("l2 forward", e["l2_forward_active_kwh"], 0.0)
        t.advance(0.5)
        c.equal("fractional advance", t.state()["time"]["sim_ms"], 3_600_500)
        status, body = t.post("/api/v1/clock/advance", {"seconds": 0})
        c.equal("advance 0 s refused", status, 422)
        status, body = t.post("/api/v1/clock/advance", {})
        c.equal("advance without seconds", status, 422)


def test_real_clock_refuses_advance(c, binary, tmp):
    with Twin(binary, new_dir(tmp)) as t:
        status, body = t.post("/api/v1/clock/advance", {"seconds": 10})
        c.equal("advance in real mode", status, 409)
        c.check("409 message names --clock stepped", "--clock stepped" in body.get("error", ""), body)
        time.sleep(0.3)
        c.check("real clock runs", t.state()["time"]["sim_ms"] >= 250, t.state()["time"])


def settings_of(t):
    return t.state()["settings"]


def test_settings(c, binary, tmp):
    with Twin(binary, new_dir(tmp), *STEPPED) as t:
        before = settings_of(t)
        status, body = t.put("/api/v1/settings", {"password": "1234", "settings": {"modbus_id": 10}})
        c.equal("wrong password", status, 403)
        status, _ = t.put("/api/v1/settings", {"settings": {"modbus_id": 10}})
        c.equal("missing password", status, 403)
        c.equal("nothing changed after 403", settings_of(t), before)
        status, body = t.put("/api/v1/settings", {"password": "0000",
                                                  "settings": {"lcd_cycle_s": 10, "modbus_id": 300}})
        c.equal("modbus_id 300", status, 422)
        c.check("422 names the setting", "Modbus ID" in body.get("error", ""), body)
        c.equal("nothing changed after 422", settings_of(t), before)
        status, body = t.put("/api/v1/settings", {"password": "0000", "settings": {"colour": 1}})
        c.check("unknown setting", status == 422 and "modbus_id" in body.get("error", ""), body)
        status, _ = t.put("/api/v1/settings", {"password": "0000", "settings": {"obis": "yes"}})
        c.equal("bad type", status, 422)
        wanted = {"modbus_id": 10, "modbus_baud": 19200, "parity": "none", "mbus_id": 5,
                  "mbus_baud": 9600, "s0_rate": 100, "pulse_type": "forward&reverse",
                  "pulse_width_ms": 50, "combination": "C-03", "lcd_cycle_s": 10,
                  "backlight": "on", "screen_direction": 1, "obis": False, "data_type": "integer",
                  "tariff": 3, "ct_ratio": "500/5", "mbus_secondary_id": "45230115"}
        status, body = t.put("/api/v1/settings", {"password": "0000", "settings": wanted})
        c.equal("all settings at once", status, 200)
        after = settings_of(t)
        c.equal("settings read back", {k: after[k] for k in wanted}, wanted)
        c.equal("T3 activated", t.state()["status"]["t3_t4_activated"], True)


def test_one_way_doors(c, binary, tmp):
    with Twin(binary, new_dir(tmp), *STEPPED) as t:
        put = lambda settings: t.put("/api/v1/settings", {"password": "0000", "settings": settings})
        c.equal("set C-05", put({"combination": "C-05"})[0], 200)
        status, body = put({"combination": "C-04"})
        c.equal("C-05 then C-04", status, 409)
        c.equal("still C-05", settings_of(t)["combination"], "C-05")
        for n in range(1, 8):
            c.equal(f"CT change {n}", put({"ct_ratio": f"{n * 10}/5"})[0], 200)
        status, body = put({"ct_ratio": "100/5"})
        c.equal("8th CT change", status, 409)
        ct = t.state()["ct"]
        c.equal("CT after refusal", (ct["ratio"], ct["changes"], len(ct["history"])), ("70/5", 7, 7))


def test_tariff_input(c, binary, tmp):
    with Twin(binary, new_dir(tmp), *STEPPED) as t:
        t.set_load(L1_ONLY_10A)
        answer = t.ok("PUT", "/api/v1/tariff-input", {"energized": True})
        c.equal("tariff input selects T2", answer, {"tariff_input": True, "tariff": 2})
        t.advance(3600)
        e = t.state()["energy"]
        c.equal("T2 energy", (e["t1_total_active_kwh"], e["t2_total_active_kwh"]), (0.0, 2.3))
        t.ok("PUT", "/api/v1/tariff-input", {"energized": False})
        c.equal("de-energized selects T1", t.state()["status"]["tariff"], 1)


def test_power(c, binary, tmp):
    with Twin(binary, new_dir(tmp), *STEPPED) as t:
        t.set_load(L1_ONLY_10A)
        answer = t.ok("POST", "/api/v1/power-cycle", {})
        c.equal("power-cycle counts", answer["power_down_counter"], 2)
        answer = t.ok("POST", "/api/v1/power-cycle", {"off_seconds": 1800})
        c.equal("power-cycle with off time", (answer["power_down_counter"], answer["sim_ms"]),
                (3, 1_800_000))
        c.equal("no energy while off", t.state()["energy"]["total_active_kwh"], 0.0)
        t.ok("POST", "/api/v1/power", {"on": False})
        t.advance(3600)
        s = t.state()
        c.equal("held off", (s["power"]["powered"], s["energy"]["total_active_kwh"],
                             s["measurement"]["L1"]["p_kw"]), (False, 0.0, 0.0))
        code, body = t.request("PUT", "/api/v1/settings", {"password": "0000", "settings": {"tariff": 2}})
        c.equal("no supply: nothing can be set", (code, "no supply" in body.get("error", "")), (409, True))
        code, body = t.request("POST", "/api/v1/reset", {"password": "0000", "what": "trip_counter"})
        c.equal("no supply: no reset either", code, 409)
        answer = t.ok("POST", "/api/v1/power", {"on": True})
        c.equal("back on counts", answer["power_down_counter"], 4)
        c.equal("the tariff did not change", t.state()["status"]["tariff"], 1)
        t.set_load({"L1": {"v": 0, "i": 0}, "L2": {"v": 0}, "L3": {"v": 0}})
        c.equal("0 V on every phase is a loss of supply", t.state()["power"], {"powered": False, "supply_on": True})
        c.equal("the LCD is dark", t.ok("GET", "/api/v1/panel")["mode"], "off")
        t.set_load({"L2": {"v": 184, "i": 0}})
        c.equal("184 V on one phase: counted when the voltage returns",
                (t.state()["power"]["powered"], t.state()["status"]["power_down_counter"]), (True, 5))


def test_restart_keeps_state(c, binary, tmp):
    state_dir = new_dir(tmp)
    with Twin(binary, state_dir, *STEPPED) as t:
        t.set_load(L1_ONLY_10A)
        t.advance(7200)
        before = t.state()
        c.equal("clean stop exit code", t.terminate(), 0)
    with Twin(binary, state_dir, *STEPPED) as t:
        after = t.state()
        c.equal("energy kept over restart", after["energy"], before["energy"])
        c.equal("power-down counter +1", after["status"]["power_down_counter"],
                before["status"]["power_down_counter"] + 1)
        c.equal("fresh flag", t.ready["fresh"], False)


def test_sigterm_saves(c, binary, tmp):
    state_dir = new_dir(tmp)
    args = STEPPED + ("--persist-interval", "3600")
    with Twin(binary, state_dir, *args) as t:
        t.set_load({"L1": {"v": 230, "i": 5}, "L2": {"v": 230, "i": 5}, "L3": {"v": 230, "i": 5}})
        t.advance(1000)
        energy = t.state()["energy"]
        c.equal("SIGTERM exit code", t.terminate(signal.SIGTERM), 0)
    with Twin(binary, state_dir, *args) as t:
        c.equal("energy saved by SIGTERM", t.state()["energy"], energy)
        t.set_load({"L1": {"i": 1}})
        t.advance(100)
        energy = t.state()["energy"]
        c.equal("SIGINT exit code", t.terminate(signal.SIGINT), 0)
    with Twin(binary, state_dir, *args) as t:
        c.equal("energy saved by SIGINT", t.state()["energy"], energy)


def test_side_by_side(c, binary, tmp):
    with Twin(binary, new_dir(tmp), *STEPPED) as a, Twin(binary, new_dir(tmp), *STEPPED) as b:
        c.check("different ports", a.url != b.url, (a.url, b.url))
        a.set_load(L1_ONLY_10A)
        a.advance(3600)
        c.equal("twin a", a.state()["energy"]["total_active_kwh"], 2.3)
        c.equal("twin b untouched", b.state()["energy"]["total_active_kwh"], 0.0)


def test_user_errors(c, binary, tmp):
    state_dir = new_dir(tmp)
    with Twin(binary, state_dir, *STEPPED) as t:
        code, _, err = run_cli(binary, ["run", "--http", "127.0.0.1:0", "--state", state_dir])
        c.equal("same state dir twice: exit code", code, 2)
        c.check("same state dir twice: message", "in use" in err and "--state" in err, err)
        port = t.url.rsplit(":", 1)[1]
        code, _, err = run_cli(binary, ["run", "--http", f"127.0.0.1:{port}", "--state", new_dir(tmp)])
        c.equal("port in use: exit code", code, 2)
        c.check("port in use: message", f"cannot listen on 127.0.0.1:{port}: address in use; "
                "choose another with --http" in err, err)
    cases = [
        ("bad --load", ["--load", "L1=abc"], "--load"),
        ("out-of-range --load", ["--load", "L1=2000V"], "--load"),
        ("missing scenario file", ["--scenario", os.path.join(tmp, "none.csv")], "none.csv"),
        ("--speed with stepped", ["--clock", "stepped", "--speed", "2"], "--speed"),
        ("bad --speed", ["--speed", "0"], "--speed"),
        ("bad --clock", ["--clock", "fast"], "--clock"),
        ("bad --http", ["--http", "nohost"], "--http"),
        ("bad --serial", ["--serial", "12ab"], "--serial"),
        ("unknown flag", ["--frobnicate"], "frobnicate"),
    ]
    for name, args, needle in cases:
        code, out, err = run_cli(binary, ["run", "--state", new_dir(tmp)] + args)
        c.equal(f"{name}: exit code", code, 2)
        c.check(f"{name}: one line naming it", needle in err and err.count("\n") == 1, err)
        c.equal(f"{name}: nothing on stdout", out, "")
    code, out, _ = run_cli(binary, ["--version"])
    c.check("--version", code == 0 and out.startswith("ambimeter "), out)


def test_one_year(c, binary, tmp):
    with Twin(binary, new_dir(tmp), *STEPPED) as t:
        t.set_load({"L1": {"v": 230, "i": 1000 / 230, "phi": 0}, "L2": {"i": 0}, "L3": {"i": 0}})
        started = time.monotonic()
        t.advance(31_536_000)
        took = time.monotonic() - started
        e = t.state()["energy"]
        c.equal("one year at 1 kW", e["total_active_kwh"], 8760.0)
        c.equal("one year, L1 forward", e["l1_forward_active_kwh"], 8760.0)
        c.check("one year takes under 5 s", took < 5.0, f"{took:.2f} s")


def test_http_errors(c, binary, tmp):
    with Twin(binary, new_dir(tmp), *STEPPED) as t:
        before = t.state()["load"]
        status, body = t.put("/api/v1/load", {"L1": {"v": 2000}})
        c.check("load out of range", status == 422 and "voltage" in body.get("error", ""), body)
        c.equal("load unchanged", t.state()["load"], before)
        c.equal("unknown load member", t.put("/api/v1/load", {"L4": {}})[0], 422)
        c.equal("invalid JSON", t.request("PUT", "/api/v1/load", raw=b"{nope")[0], 400)
        c.equal("not an object", t.request("PUT", "/api/v1/load", raw=b"[1]")[0], 400)
        c.equal("unknown path", t.get("/api/v1/nothing")[0], 404)
        c.equal("wrong method", t.request("DELETE", "/api/v1/state")[0], 405)
        c.equal("body too large", t.request("PUT", "/api/v1/load", raw=b" " * 70000)[0], 413)
        c.equal("still serving", t.get("/api/v1/state")[0], 200)


def test_resets(c, binary, tmp):
    with Twin(binary, new_dir(tmp), *STEPPED) as t:
        t.set_load(L1_ONLY_10A)
        t.advance(3600)
        status, _ = t.post("/api/v1/reset", {"password": "9999", "what": "trip_counter"})
        c.equal("reset with wrong password", status, 403)
        c.equal("trip kept", t.state()["energy"]["trip_kwh"], 2.3)
        answer = t.ok("POST", "/api/v1/reset", {"password": "0000", "what": "trip_counter"})
        c.equal("trip reset", answer["trip_kwh"], 0.0)
        c.equal("total kept", t.state()["energy"]["total_active_kwh"], 2.3)
        answer = t.ok("POST", "/api/v1/reset", {"password": "0000", "what": "power_down_counter"})
        c.equal("power-down counter reset", answer["power_down_counter"], 0)
        c.equal("unknown reset", t.post("/api/v1/reset", {"password": "0000", "what": "all"})[0], 422)


def test_scenario(c, binary, tmp):
    with Twin(binary, new_dir(tmp), *STEPPED, "--scenario", "demo") as t:
        c.equal("demo scenario in the ready line", t.ready["scenario"]["name"], "demo")
        t.advance(86_400)
        s = t.state()
        c.equal("scenario position", s["scenario"]["position_ms"], 86_400_000)
        c.check("the demo day imports energy", s["energy"]["forward_active_kwh"] > 0, s["energy"])
        answer = t.set_load(L1_ONLY_10A)
        c.equal("a manual load stops the scenario", (answer["scenario"], t.state()["scenario"]),
                (None, None))
        answer = t.ok("PUT", "/api/v1/scenario", {"csv": "t,L1_v,L1_i\n0,230,1\n"})
        c.equal("csv scenario", answer["scenario"]["position_ms"], 0)
        c.equal("bad csv scenario", t.put("/api/v1/scenario", {"csv": "t,L9_x\n0,1\n"})[0], 422)
    path = os.path.join(tmp, "steps.csv")
    with open(path, "w") as f:
        f.write("t,L1_v,L1_i,L1_phi\n0,230,10,0\n3600,230,0,0\n")
    with Twin(binary, new_dir(tmp), *STEPPED, "--scenario", path) as t:
        c.equal("file scenario name", t.ready["scenario"]["name"], "steps.csv")
        t.advance(7200)
        c.equal("file scenario energy", t.state()["energy"]["l1_forward_active_kwh"], 2.3)
    with open(path, "w") as f:
        f.write("t,L1_v\n0,abc\n")
    code, _, err = run_cli(binary, ["run", "--state", new_dir(tmp), "--scenario", path])
    c.check("bad scenario file: exit 2 naming the file", code == 2 and path in err, (code, err))


def main():
    binary = binary_from_argv()
    c = Checks("e2e api")
    with tempfile.TemporaryDirectory(prefix="ambimeter-e2e-") as tmp:
        for name, test in [(n, f) for n, f in globals().items() if n.startswith("test_")]:
            c.run(name, test, binary, tmp)
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
