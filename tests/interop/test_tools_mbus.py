"""`ambimeter read` and `write` over M-bus (TCP and a pseudo-terminal) against a running
twin: the records decode to the API's values, writes are acknowledged and take effect, and
a meter that is not there gives one clear line.

    /usr/bin/python3 test_tools_mbus.py PATH_TO_ambimeter
"""

import time

from interop import main
from mbus_interop import MbusTwin
from tools import ambimeter, read_json

ENERGY = {"forward_active_wh": "forward_active_kwh", "reverse_active_wh": "reverse_active_kwh",
          "t1_forward_active_wh": "t1_forward_active_kwh", "forward_reactive_varh": "forward_reactive_kvarh"}


def check_values(checks, label, values, state):
    m = state["measurement"]
    for record, name in ENERGY.items():
        want = state["energy"][name] * 1000
        got = values.get(record, {}).get("value")
        checks.check(f"{label} {record}", got is not None and abs(got - want) <= 1.0, f"{got} vs {want}")
    for k, phase in enumerate(["L1", "L2", "L3"]):
        got = values.get(f"l{k + 1}_voltage", {}).get("value")
        checks.check(f"{label} {phase} V", got is not None and abs(got - m[phase]["v"]) <= 0.01, f"{got}")
        got = values.get(f"l{k + 1}_current", {}).get("value")
        checks.check(f"{label} {phase} A", got is not None and abs(got - m[phase]["i"]) <= 0.001, f"{got}")
    checks.equal(f"{label} secondary address", values.get("secondary_address", {}).get("text"),
                 state["settings"]["mbus_secondary_id"])
    checks.equal(f"{label} manufacturer", values.get("manufacturer", {}).get("text"), "INM")
    checks.equal(f"{label} tariff", values.get("tariff", {}).get("text"), f"T{state['settings']['tariff']}")


def test_read(checks, binary):
    with MbusTwin(binary) as twin:
        state = twin.reference()
        tcp = f"mbus+tcp://127.0.0.1:{twin.port}"
        check_values(checks, "tcp", read_json(checks, "tcp", binary, tcp), state)
        check_values(checks, "tcp address 0", read_json(checks, "tcp0", binary, tcp + "?address=0"), state)
        secondary = state["settings"]["mbus_secondary_id"]
        check_values(checks, "tcp secondary", read_json(checks, "tcp2", binary, f"{tcp}?secondary={secondary}"), state)
        check_values(checks, "pty", read_json(checks, "pty", binary, f"mbus+serial://{twin.pty}?baud=2400"), state)
        values = read_json(checks, "energy group", binary, tcp, "--group", "energy")
        checks.check("energy group only", values and all(v["group"] == "energy" for v in values.values()), list(values))
        values = read_json(checks, "names", binary, tcp, "l1_voltage", "forward_active_wh")
        checks.equal("named records", list(values), ["l1_voltage", "forward_active_wh"])
        code, out, err = ambimeter(binary, "read", tcp, "--format", "csv")
        checks.check("csv", code == 0 and out.startswith("name,description,value,unit,source\n"), err)


def test_write(checks, binary):
    with MbusTwin(binary) as twin:
        twin.reference(60)
        tcp = f"mbus+tcp://127.0.0.1:{twin.port}"
        code, out, err = ambimeter(binary, "write", tcp, "tariff=T2", "mbus-id=17")
        checks.check("write tariff and address: exit 0", code == 0, err)
        s = twin.state()["settings"]
        checks.equal("tariff written", s["tariff"], 2)
        checks.equal("address written", s["mbus_id"], 17)
        values = read_json(checks, "at 17", binary, tcp + "?address=17", "tariff")
        checks.equal("read back at the new address", values.get("tariff", {}).get("text"), "T2")
        code, out, err = ambimeter(binary, "write", f"mbus+serial://{twin.pty}?address=17", "reset=trip-counter")
        checks.check("reset over the pty", code == 0 and twin.state()["energy"]["trip_kwh"] == 0.0, err)
        code, out, err = ambimeter(binary, "write", tcp + "?address=17", "mbus-baud=9600")
        checks.check("baud change by control frame: acknowledged", code == 0 and "baud=9600" in out, err + out)
        checks.equal("baud written", twin.state()["settings"]["mbus_baud"], 9600)
        code, out, err = ambimeter(binary, "write", tcp + "?address=17", "mbus-baud=9600")
        code, _, err = ambimeter(binary, "write", tcp + "?address=17", "lcd-cycle=10")
        checks.check("not an M-bus record: exit 2, says use Modbus", code == 2 and "Modbus" in err, err)
        code, _, err = ambimeter(binary, "write", tcp + "?address=17&timeout=300ms", "combination=5")
        checks.equal("C-05 over M-bus acknowledged", code, 0)
        started = time.monotonic()
        code, _, err = ambimeter(binary, "write", tcp + "?address=17&timeout=300ms", "combination=3")
        checks.check("refused write: silence reported as not acknowledged", code == 1 and "acknowledge" in err, err)
        checks.check("refused write: bounded", time.monotonic() - started < 3, time.monotonic() - started)


def test_absent_meter(checks, binary):
    with MbusTwin(binary) as twin:
        tcp = f"mbus+tcp://127.0.0.1:{twin.port}"
        started = time.monotonic()
        code, _, err = ambimeter(binary, "read", tcp + "?address=42&timeout=300ms")
        checks.check("absent address: exit 1, one line", code == 1 and err.count("\n") == 1, err)
        checks.check("absent address: bounded", time.monotonic() - started < 3, time.monotonic() - started)
        code, _, err = ambimeter(binary, "read", tcp + "?secondary=99999999&timeout=300ms")
        checks.check("absent secondary: exit 1, names it", code == 1 and "99999999" in err, err)
        code, _, err = ambimeter(binary, "read", tcp + "?secondary=12AB")
        checks.check("bad secondary: exit 2", code == 2 and "8 digits" in err, err)


if __name__ == "__main__":
    main("tools over M-bus", [
        ("read over M-bus TCP and the pty", test_read),
        ("write over M-bus", test_write),
        ("absent meters", test_absent_meter),
    ])
