"""`ambimeter read` and `write` over M-bus (TCP and a pseudo-terminal) against a running
twin: the records decode to the API's values, writes are acknowledged and take effect, and
a meter that is not there gives one clear line.

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/interop/test_tools_mbus.py --binary=PATH_TO_ambimeter
"""

import time

import pytest

from tools import ambimeter, read_json

ENERGY = {"forward_active_wh": "forward_active_kwh", "reverse_active_wh": "reverse_active_kwh",
          "t1_forward_active_wh": "t1_forward_active_kwh", "forward_reactive_varh": "forward_reactive_kvarh"}


def check_values(label, values, state):
    m = state["measurement"]
    for record, name in ENERGY.items():
        want = state["energy"][name] * 1000
        got = values.get(record, {}).get("value")
        assert got is not None and abs(got - want) <= 1.0, f"{label} {record}: {got} vs {want}"
    for k, phase in enumerate(["L1", "L2", "L3"]):
        got = values.get(f"l{k + 1}_voltage", {}).get("value")
        assert got is not None and abs(got - m[phase]["v"]) <= 0.01, f"{label} {phase} V: {got}"
        got = values.get(f"l{k + 1}_current", {}).get("value")
        assert got is not None and abs(got - m[phase]["i"]) <= 0.001, f"{label} {phase} A: {got}"
    assert values.get("secondary_address", {}).get("text") == state["settings"]["mbus_secondary_id"], \
        f"{label} secondary address"
    assert values.get("manufacturer", {}).get("text") == "INM", f"{label} manufacturer"
    assert values.get("tariff", {}).get("text") == f"T{state['settings']['tariff']}", f"{label} tariff"


# How `read` reaches the twin: a URI from the twin and its state.
READ_URIS = {
    "tcp": lambda twin, state: f"mbus+tcp://127.0.0.1:{twin.port}",
    "tcp address 0": lambda twin, state: f"mbus+tcp://127.0.0.1:{twin.port}?address=0",
    "tcp secondary": lambda twin, state:
        f"mbus+tcp://127.0.0.1:{twin.port}?secondary={state['settings']['mbus_secondary_id']}",
    "pty": lambda twin, state: f"mbus+serial://{twin.pty}?baud=2400",
}


@pytest.mark.parametrize("how", list(READ_URIS))
def test_read_decodes_to_the_api(mbus_twin, how):
    state = mbus_twin.reference()
    check_values(how, read_json(how, mbus_twin.binary, READ_URIS[how](mbus_twin, state)), state)


def test_read_groups_names_and_csv(mbus_twin, binary):
    twin = mbus_twin
    twin.reference()
    tcp = f"mbus+tcp://127.0.0.1:{twin.port}"
    values = read_json("energy group", binary, tcp, "--group", "energy")
    assert values and all(v["group"] == "energy" for v in values.values()), f"energy group only: {list(values)}"
    values = read_json("names", binary, tcp, "l1_voltage", "forward_active_wh")
    assert list(values) == ["l1_voltage", "forward_active_wh"], "named records"
    code, out, err = ambimeter(binary, "read", tcp, "--format", "csv")
    assert code == 0 and out.startswith("name,description,value,unit,source\n"), f"csv: {err}"


def test_write(mbus_twin, binary):
    twin = mbus_twin
    twin.reference(60)
    tcp = f"mbus+tcp://127.0.0.1:{twin.port}"
    code, out, err = ambimeter(binary, "write", tcp, "tariff=T2", "mbus-id=17")
    assert code == 0, f"write tariff and address: exit 0: {err}"
    s = twin.state()["settings"]
    assert s["tariff"] == 2, "tariff written"
    assert s["mbus_id"] == 17, "address written"
    values = read_json("at 17", binary, tcp + "?address=17", "tariff")
    assert values.get("tariff", {}).get("text") == "T2", "read back at the new address"
    code, out, err = ambimeter(binary, "write", f"mbus+serial://{twin.pty}?address=17", "reset=trip-counter")
    assert code == 0 and twin.state()["energy"]["trip_kwh"] == 0.0, f"reset over the pty: {err}"
    code, out, err = ambimeter(binary, "write", tcp + "?address=17", "mbus-baud=9600")
    assert code == 0 and "baud=9600" in out, f"baud change by control frame: acknowledged: {err + out}"
    assert twin.state()["settings"]["mbus_baud"] == 9600, "baud written"
    code, out, err = ambimeter(binary, "write", tcp + "?address=17", "mbus-baud=9600")
    code, _, err = ambimeter(binary, "write", tcp + "?address=17", "lcd-cycle=10")
    assert code == 2 and "Modbus" in err, f"not an M-bus record: exit 2, says use Modbus: {err}"
    code, _, err = ambimeter(binary, "write", tcp + "?address=17&timeout=300ms", "combination=5")
    assert code == 0, "C-05 over M-bus acknowledged"
    started = time.monotonic()
    code, _, err = ambimeter(binary, "write", tcp + "?address=17&timeout=300ms", "combination=3")
    took = time.monotonic() - started
    assert code == 1 and "acknowledge" in err, f"refused write: silence reported as not acknowledged: {err}"
    assert took < 3, f"refused write: bounded: {took:.2f} s"


def test_absent_meter(mbus_twin, binary):
    twin = mbus_twin
    tcp = f"mbus+tcp://127.0.0.1:{twin.port}"
    started = time.monotonic()
    code, _, err = ambimeter(binary, "read", tcp + "?address=42&timeout=300ms")
    took = time.monotonic() - started
    assert code == 1 and err.count("\n") == 1, f"absent address: exit 1, one line: {err}"
    assert took < 3, f"absent address: bounded: {took:.2f} s"
    code, _, err = ambimeter(binary, "read", tcp + "?secondary=99999999&timeout=300ms")
    assert code == 1 and "99999999" in err, f"absent secondary: exit 1, names it: {err}"
    code, _, err = ambimeter(binary, "read", tcp + "?secondary=12AB")
    assert code == 2 and "8 digits" in err, f"bad secondary: exit 2: {err}"
