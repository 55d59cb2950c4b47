"""`ambimeter run --mqtt` against Debian's mosquitto broker (docs/mqtt.md): Home Assistant
discovery and every state checked against the twin's JSON API, a broker killed and started
again (publishing resumes, no state lost, two log lines), the availability topics with a
clean stop and a kill -9 (the last will), a fleet of three devices, and the option errors."""

import json
import os
import shutil
import tempfile

import pytest

from interop import LOAD, Twin, run_cli
from mqtt_interop import Broker, Subscriber, expected_value, free_port

SERIAL = "19020246"
DISCOVERY = "homeassistant"


def client_topic(serial=SERIAL):
    return f"ambimeter/client/ambimeter-{serial}/availability"


def configs_of(snap, serial):
    """{value name: discovery config} of one meter."""
    head = f"{DISCOVERY}/sensor/ambimeter_{serial}/"
    return {t[len(head):-len("/config")]: json.loads(p) for t, p in snap.items()
            if t.startswith(head) and t.endswith("/config")}


def state_problems(snap, serial, state):
    """What differs between the meter's published states and its API state ([] when none)."""
    configs = configs_of(snap, serial)
    problems = [] if len(configs) >= 100 else [f"{len(configs)} discovery configs"]
    for name, config in configs.items():
        payload = snap.get(config["state_topic"])
        if payload is None:
            problems.append(f"{name}: no state")
            continue
        decimals = config["suggested_display_precision"]
        fraction = payload.split(".")[1] if "." in payload else ""
        want = expected_value(name, state)
        if len(fraction) != decimals:
            problems.append(f"{name}: {payload} has not {decimals} decimals")
        elif abs(float(payload) - want) > 1.01 * 10 ** -decimals + 1e-6 * abs(want):
            problems.append(f"{name}: published {payload}, the API says {want}")
    if snap.get(f"ambimeter/{serial}/availability") != "online":
        problems.append("the meter's availability is not online")
    return problems


def wait_for_states(sub, serial, state):
    snap = sub.wait_for(lambda s: not state_problems(s, serial, state))
    assert state_problems(snap, serial, state) == []
    return snap


def check_discovery(configs, state, serial=SERIAL):
    identity = state["identity"]
    for name, c in configs.items():
        assert c["unique_id"] == f"ambimeter_{serial}_{name}"
        assert c["default_entity_id"] == f"sensor.ambimeter_{serial}_{name}"
        assert c["state_topic"] == f"ambimeter/{serial}/{name}"
        assert c["qos"] == 1 and c["availability_mode"] == "all"
        assert [a["topic"] for a in c["availability"]] == [
            client_topic(), f"ambimeter/{serial}/availability"]
        d = c["device"]
        assert d["identifiers"] == [f"ambimeter_{serial}"] and d["serial_number"] == serial
        assert d["manufacturer"] == "Inepro Metering" and d["model"] == "Ambition 2PU CT"
        assert d["model_id"] == identity["meter_code"]
        assert float(d["sw_version"]) == pytest.approx(identity["software_version"])
        assert float(d["hw_version"]) == pytest.approx(identity["hardware_version"])
        net = (name.startswith("total_") or "_total_" in name) and not name.startswith("q")
        if name.startswith("trip"):
            assert (c["device_class"], c["state_class"], c["unit_of_measurement"]) == (
                "energy", "total", "kWh"), name
        elif name.endswith("_kwh"):
            assert (c["device_class"], c["unit_of_measurement"]) == ("energy", "kWh"), name
            assert c["state_class"] == ("total" if net else "total_increasing"), name
        elif name.endswith("_kvarh"):
            assert (c["device_class"], c["unit_of_measurement"]) == (
                "reactive_energy", "kvarh"), name
            assert c["state_class"] == ("total" if net else "total_increasing"), name
        elif name.endswith("_voltage"):
            assert (c["device_class"], c["state_class"], c["unit_of_measurement"]) == (
                "voltage", "measurement", "V"), name
    assert configs["l1_current"]["unit_of_measurement"] == "A"
    assert configs["frequency"]["unit_of_measurement"] == "Hz"
    assert configs["total_active_power"]["device_class"] == "power"
    assert configs["l2_reactive_power"]["unit_of_measurement"] == "kvar"
    assert "state_class" not in configs["error_code"]


def stepped_twin(tmp, port, *extra):
    return Twin(tmp.binary, os.path.join(tmp.path, "state"), "--clock", "stepped",
                "--serial", SERIAL, "--mbus-tcp", "off", "--mqtt", f"mqtt://127.0.0.1:{port}",
                "--mqtt-interval", "0.3", *extra)


class Tmp:
    def __init__(self, binary):
        self.binary = binary
        self.path = tempfile.mkdtemp(prefix="ambi-mqtt-run-")


@pytest.fixture
def tmp(binary):
    t = Tmp(binary)
    yield t
    shutil.rmtree(t.path, ignore_errors=True)


def mqtt_log_lines(twin):
    return [line for line in twin.stderr().splitlines() if "mqtt" in line]


def test_discovery_and_states_follow_the_api_and_a_restarted_broker_gets_them_all(tmp):
    port = free_port()
    broker = Broker(port).start()
    second = Broker(port)
    try:
        with stepped_twin(tmp, port) as twin:
            assert twin.ready["mqtt"]["uri"] == f"mqtt://127.0.0.1:{port}"
            assert twin.ready["mqtt"]["client_id"] == f"ambimeter-{SERIAL}"
            twin.set_load(LOAD)
            twin.advance(3600)
            state = twin.state()
            with Subscriber(port) as sub:
                snap = wait_for_states(sub, SERIAL, state)
                check_discovery(configs_of(snap, SERIAL), state)
                assert snap[client_topic()] == "online"
                before = float(snap[f"ambimeter/{SERIAL}/l1_forward_active_kwh"])
            broker.kill()                   # the broker goes away with every retained message
            twin.advance(3600)              # energy grows while it is away
            later = twin.state()
            second.start()
            with Subscriber(port) as sub:
                snap = wait_for_states(sub, SERIAL, later)  # discovery and states, all again
                check_discovery(configs_of(snap, SERIAL), later)
                assert snap[client_topic()] == "online"
                assert float(snap[f"ambimeter/{SERIAL}/l1_forward_active_kwh"]) > before
                lines = mqtt_log_lines(twin)
                assert len([x for x in lines if "lost the connection" in x]) == 1, lines
                assert len([x for x in lines if "again after" in x]) == 1, lines
                assert len(lines) == 2, lines
                assert twin.terminate() == 0
                snap = sub.wait_for(lambda s: s.get(client_topic()) == "offline")
                assert snap.get(client_topic()) == "offline"     # the clean stop said so
            with Subscriber(port) as sub:           # and the broker keeps it (retained)
                snap = sub.wait_for(lambda s: s.get(client_topic()) == "offline")
                assert snap.get(client_topic()) == "offline"
    finally:
        broker.close()
        second.close()


def test_a_meter_without_supply_is_offline_and_a_killed_twin_goes_by_its_last_will(tmp):
    port = free_port()
    meter = f"ambimeter/{SERIAL}/availability"
    with Broker(port):
        with stepped_twin(tmp, port) as twin, Subscriber(port) as sub:
            snap = sub.wait_for(lambda s: s.get(client_topic()) == "online" and
                                s.get(meter) == "online")
            assert (snap.get(client_topic()), snap.get(meter)) == ("online", "online")
            twin.ok("POST", "/api/v1/power", {"on": False})      # silent, as a real meter
            snap = sub.wait_for(lambda s: s.get(meter) == "offline")
            assert (snap.get(client_topic()), snap.get(meter)) == ("online", "offline")
            twin.ok("POST", "/api/v1/power", {"on": True})
            snap = sub.wait_for(lambda s: s.get(meter) == "online")
            assert snap.get(meter) == "online"
            twin.kill()
            snap = sub.wait_for(lambda s: s.get(client_topic()) == "offline")
            assert snap.get(client_topic()) == "offline"


def test_a_twin_started_before_its_broker_publishes_once_the_broker_is_up(tmp):
    port = free_port()
    with stepped_twin(tmp, port) as twin, Broker(port):
        twin.set_load(LOAD)
        twin.advance(600)
        state = twin.state()
        with Subscriber(port) as sub:
            wait_for_states(sub, SERIAL, state)
        lines = mqtt_log_lines(twin)
        assert len(lines) == 2 and "does not answer" in lines[0], lines
        assert "again after" in lines[1], lines


def test_a_fleet_publishes_every_meter_as_a_device_of_its_own(tmp):
    port = free_port()
    serials = [str(int(SERIAL) + i) for i in range(3)]
    with Broker(port):
        with stepped_twin(tmp, port, "--meters", "3") as fleet, Subscriber(port) as sub:
            assert fleet.ready["mqtt"]["client_id"] == f"ambimeter-{SERIAL}"
            for i, serial in enumerate(serials):
                load = {k: dict(v, i=v["i"] * (i + 1)) for k, v in LOAD.items()}
                fleet.ok("PUT", f"/api/v1/meters/{serial}/load", load)
            fleet.advance(1800)
            for serial in serials:
                state = fleet.ok("GET", f"/api/v1/meters/{serial}/state")
                snap = wait_for_states(sub, serial, state)
                check_discovery(configs_of(snap, serial), state, serial)
            devices = {c["device"]["identifiers"][0] for t, p in snap.items()
                       if t.endswith("/config") for c in [json.loads(p)]}
            assert devices == {f"ambimeter_{s}" for s in serials}


@pytest.mark.parametrize("args, message", [
    (["--mqtt", "127.0.0.1:1883"], "bad --mqtt \"127.0.0.1:1883\""),
    (["--mqtt", "mqtts://h:8883"], "TLS is not supported"),
    (["--mqtt", "mqtt://h:99999"], "the port is not a number"),
    (["--mqtt", "mqtt://127.0.0.1:1", "--mqtt-prefix", "a/#"], "bad --mqtt-prefix"),
    (["--mqtt", "mqtt://127.0.0.1:1", "--mqtt-interval", "0"], "bad --mqtt-interval 0"),
    (["--mqtt", "mqtt://127.0.0.1:1", "--mqtt-discovery", "yes"], "bad --mqtt-discovery"),
    (["--mqtt", "mqtt://127.0.0.1:1", "--mqtt-password", "x"], "--mqtt-password needs"),
    (["--mqtt-prefix", "site"], "--mqtt-prefix needs --mqtt"),
    (["--mqtt", "mqtt://no-such-host.invalid:1883"], "cannot resolve the MQTT broker"),
])
def test_bad_mqtt_options_are_one_line_naming_the_fix(tmp, args, message):
    code, out, err = run_cli(tmp.binary, ["run", "--http", "127.0.0.1:0", "--state",
                                          os.path.join(tmp.path, "state"), "--modbus-tcp",
                                          "127.0.0.1:0", "--mbus-tcp", "off"] + args)
    assert code == 2, (code, out, err)
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], err
