"""`ambimeter bridge`: meters polled over Modbus TCP and M-bus TCP, published on a Prometheus
/metrics endpoint (checked with Debian's promtool and scraped by a real Prometheus) and to a
real mosquitto broker with Home Assistant discovery (read back with paho-mqtt), against the
twin's own state (docs/integrations.md)."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

import pytest

from interop import LOAD, ModbusTwin, run_cli
from twin import read_line

PROMTOOL = shutil.which("promtool")
PROMETHEUS = shutil.which("prometheus")
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def samples(text):
    """[(name, {label: value}, value)] of an exposition text."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = LINE.match(line)
        assert m, f"not an exposition line: {line!r}"
        out.append((m.group(1), dict(LABEL.findall(m.group(2) or "")), m.group(3)))
    return out


def value_of(text, name, **labels):
    for n, ls, v in samples(text):
        if n == name and all(ls.get(k) == want for k, want in labels.items()):
            return v
    return None


def fetch(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode(), r.headers.get("Content-Type")


def wait_until(what, get, done, timeout=30.0):
    deadline = time.monotonic() + timeout
    value = get()
    while not done(value):
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s (last: {value!r})"
        time.sleep(0.1)
        value = get()
    return value


class Bridge:
    """One `ambimeter bridge` process and its ready line."""

    def __init__(self, binary, *args):
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([binary, "bridge", *args], stdout=subprocess.PIPE,
                                     stderr=self.err)
        line = read_line(self.proc.stdout, 30)
        if line is None:
            self.stop()
            raise AssertionError(f"no ready line from the bridge: {self.stderr()}")
        self.ready = json.loads(line)
        assert self.ready["event"] == "ready" and self.ready["command"] == "bridge", self.ready

    def metrics(self):
        return fetch(self.ready["metrics"])[0]

    def stderr(self):
        self.err.seek(0)
        return self.err.read().decode(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode


@pytest.fixture
def meter(binary):
    twin = ModbusTwin(binary, rtu_over_tcp=False, pty=False).start()
    try:
        twin.set_load(LOAD)
        twin.advance(7200)
        yield twin
    finally:
        twin.kill()


@pytest.fixture
def bridges():
    started = []
    yield started
    for b in started:
        b.stop()


def serial_of(twin):
    return twin.state()["identity"]["serial"]


def kwh(state, name):
    return f"{state['energy'][name]:.3f}"


def promtool_ok(text):
    if PROMTOOL:
        check = subprocess.run([PROMTOOL, "check", "metrics"], input=text.encode(),
                               capture_output=True, timeout=30)
        assert check.returncode == 0, check.stdout.decode() + check.stderr.decode()


def test_metrics_carry_the_twins_registers_to_the_digit(binary, meter, bridges):
    state = meter.state()
    serial = serial_of(meter)
    uri = f"tcp://127.0.0.1:{meter.tcp_port}"
    b = Bridge(binary, uri, "--interval", "300ms", "--metrics", "127.0.0.1:0")
    bridges.append(b)
    text = wait_until("the meter polled", b.metrics,
                      lambda t: value_of(t, "ambimeter_bridge_up", uri=uri) == "1")
    _, content_type = fetch(b.ready["metrics"])
    assert content_type.startswith("text/plain; version=0.0.4"), content_type
    # The registers' values with the reader's decimals, to the digit.
    for direction, register in (("import", "forward_active_kwh"), ("export", "reverse_active_kwh")):
        got = value_of(text, "ambimeter_active_energy_kilowatthours_total", serial=serial,
                       phase="all", tariff="all", direction=direction)
        assert got == kwh(state, register), (direction, got, state["energy"][register])
    assert value_of(text, "ambimeter_active_energy_combined_kilowatthours", serial=serial,
                    phase="all", tariff="all") == kwh(state, "total_active_kwh")
    assert value_of(text, "ambimeter_active_energy_kilowatthours_total", serial=serial,
                    phase="l1", tariff="all", direction="import") == kwh(state, "l1_forward_active_kwh")
    assert value_of(text, "ambimeter_voltage_volts", serial=serial, phase="l1") == "230.00"
    assert value_of(text, "ambimeter_meter_info", serial=serial, software_version="1.02") == "1"
    assert float(value_of(text, "ambimeter_bridge_polls_total", uri=uri, outcome="ok")) >= 1
    promtool_ok(text)


def test_mbus_readings_export_under_the_same_names(binary, meter, bridges):
    state = meter.state()
    serial = serial_of(meter)
    modbus_uri = f"tcp://127.0.0.1:{meter.tcp_port}"
    mbus_uri = f"mbus+tcp://127.0.0.1:{int(meter.ready['mbus_tcp'].rsplit(':', 1)[1])}?address=254"
    alone = Bridge(binary, mbus_uri, "--interval", "300ms", "--metrics", "127.0.0.1:0")
    bridges.append(alone)
    text = wait_until("the meter polled over M-bus", alone.metrics,
                      lambda t: value_of(t, "ambimeter_bridge_up", uri=mbus_uri) == "1")
    # M-bus carries whole Wh: the same kWh to the third decimal.
    got = value_of(text, "ambimeter_active_energy_kilowatthours_total", serial=serial,
                   phase="all", tariff="all", direction="import")
    assert abs(float(got) - state["energy"]["forward_active_kwh"]) < 0.0015, got
    assert value_of(text, "ambimeter_voltage_volts", serial=serial, phase="l1") == "230.00"
    # Per-phase energy is Modbus only.
    assert value_of(text, "ambimeter_active_energy_kilowatthours_total", phase="l1") is None
    promtool_ok(text)
    # The same meter over both: its series once (from the first URI), both URIs up.
    both = Bridge(binary, modbus_uri, mbus_uri, "--interval", "300ms", "--metrics", "127.0.0.1:0")
    bridges.append(both)
    text = wait_until("both URIs polled", both.metrics,
                      lambda t: value_of(t, "ambimeter_bridge_up", uri=modbus_uri) == "1"
                      and value_of(t, "ambimeter_bridge_up", uri=mbus_uri) == "1")
    infos = [s for s in samples(text) if s[0] == "ambimeter_meter_info"]
    assert len(infos) == 1 and infos[0][1]["software_version"] == "1.02", infos
    promtool_ok(text)


def test_a_meter_that_stops_answering_goes_down_once_and_comes_back(binary, meter, bridges):
    serial = serial_of(meter)
    uri = f"tcp://127.0.0.1:{meter.tcp_port}?timeout=300ms"
    b = Bridge(binary, uri, "--interval", "200ms", "--metrics", "127.0.0.1:0")
    bridges.append(b)
    wait_until("the meter polled", b.metrics,
               lambda t: value_of(t, "ambimeter_bridge_up", uri=uri) == "1")
    status, fault = meter.request("POST", "/api/v1/faults", {"kind": "no-reply"})
    assert status == 201, fault
    text = wait_until("the meter marked down", b.metrics,
                      lambda t: value_of(t, "ambimeter_bridge_up", uri=uri) == "0")
    # Its values are gone (Prometheus marks them stale), its failures counted.
    assert value_of(text, "ambimeter_voltage_volts", phase="l1") is None, text
    time.sleep(1.0)  # several failed polls
    failed = float(value_of(b.metrics(), "ambimeter_bridge_polls_total", uri=uri, outcome="failed"))
    assert failed >= 2
    meter.request("DELETE", f"/api/v1/faults/{fault['id']}")
    wait_until("the meter back", b.metrics,
               lambda t: value_of(t, "ambimeter_bridge_up", uri=uri) == "1"
               and value_of(t, "ambimeter_voltage_volts", phase="l1") is not None)
    assert b.stop() == 0
    lines = [l for l in b.stderr().splitlines() if uri in l]
    assert len(lines) == 2, f"one line when it failed, one when it came back: {lines}"
    assert "retrying" in lines[0] and "answers again" in lines[1], lines


@pytest.mark.skipif(PROMETHEUS is None, reason="Debian's prometheus is not installed")
def test_prometheus_scrapes_the_bridge(binary, meter, bridges, tmp_path):
    state = meter.state()
    serial = serial_of(meter)
    uri = f"tcp://127.0.0.1:{meter.tcp_port}"
    b = Bridge(binary, uri, "--interval", "500ms", "--metrics", "127.0.0.1:0")
    bridges.append(b)
    target = urllib.parse.urlparse(b.ready["metrics"]).netloc
    (tmp_path / "prometheus.yml").write_text(
        "global:\n  scrape_interval: 1s\n"
        f"scrape_configs:\n  - job_name: bridge\n    static_configs:\n      - targets: ['{target}']\n")
    port = free_port()
    prom = subprocess.Popen([PROMETHEUS, f"--config.file={tmp_path / 'prometheus.yml'}",
                             f"--storage.tsdb.path={tmp_path / 'data'}",
                             f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        query = ('ambimeter_active_energy_kilowatthours_total{serial="%s",phase="all",'
                 'tariff="all",direction="import"}' % serial)
        url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": query})

        def result():
            try:
                return json.loads(fetch(url)[0])["data"]["result"]
            except OSError:
                return []
        got = wait_until("Prometheus has the meter's energy", result, lambda r: len(r) == 1, 60)
        assert f"{float(got[0]['value'][1]):.3f}" == kwh(state, "forward_active_kwh"), got
    finally:
        prom.terminate()
        try:
            prom.wait(15)
        except subprocess.TimeoutExpired:
            prom.kill()
            prom.wait(10)


@pytest.fixture
def broker(tmp_path):
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    proc = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_until("mosquitto listens", lambda: _connects(port), bool, 15)
        yield port
    finally:
        proc.kill()
        proc.wait(10)


def _connects(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def test_mqtt_discovery_and_states_match_the_twin(binary, meter, bridges, broker):
    import paho.mqtt.client as mqtt
    state = meter.state()
    serial = serial_of(meter)
    messages = {}
    c = mqtt.Client(client_id="ambi-test-bridge")
    c.on_message = lambda _c, _u, m: messages.__setitem__(m.topic, m.payload.decode())
    c.connect("127.0.0.1", broker)
    c.subscribe("#", qos=1)
    c.loop_start()
    try:
        uri = f"tcp://127.0.0.1:{meter.tcp_port}?timeout=300ms"
        b = Bridge(binary, uri, "--interval", "300ms", "--mqtt", f"mqtt://127.0.0.1:{broker}")
        bridges.append(b)

        def discovery():
            for topic, payload in list(messages.items()):
                if topic.endswith("/config") and "forward_active_kwh" in topic and serial in topic:
                    return json.loads(payload)
            return None
        config = wait_until("the discovery message", discovery, lambda d: d is not None)
        assert config["state_class"] == "total_increasing" and config["device_class"] == "energy"
        assert config["unit_of_measurement"] == "kWh"
        assert config["device"]["serial_number"] == serial, config["device"]
        state_topic = config["state_topic"]
        got = wait_until("the state", lambda: messages.get(state_topic), lambda v: v is not None)
        assert got == kwh(state, "forward_active_kwh"), got
        # The meter's own availability follows its answers; the bridge's says it runs.
        topics = [a["topic"] for a in config["availability"]]
        (mine,) = [t for t in topics if serial in t]
        (process,) = [t for t in topics if t != mine]
        wait_until("online", lambda: (messages.get(mine), messages.get(process)),
                   lambda v: v == ("online", "online"))
        status, fault = meter.request("POST", "/api/v1/faults", {"kind": "no-reply"})
        assert status == 201, fault
        wait_until("the meter offline", lambda: messages.get(mine), lambda v: v == "offline")
        meter.request("DELETE", f"/api/v1/faults/{fault['id']}")
        wait_until("the meter online again", lambda: messages.get(mine), lambda v: v == "online")
        assert b.stop() == 0
        wait_until("the bridge offline", lambda: messages.get(process), lambda v: v == "offline")
    finally:
        c.loop_stop()
        c.disconnect()


@pytest.mark.parametrize("args, names", [
    (["tcp://127.0.0.1:1"], "--mqtt"),
    (["tcp://127.0.0.1:1", "--metrics", "localhost"], "--metrics"),
    (["tcp://127.0.0.1:1", "--metrics", "127.0.0.1:99999"], "ADDR:PORT"),
    (["tcp://127.0.0.1:1", "--metrics", "example.org:9464"], "IP address"),
    (["tcp://127.0.0.1:1", "--mqtt", "http://broker"], "--mqtt"),
    (["tcp://127.0.0.1:1", "--mqtt", "mqtt://broker:0"], "--mqtt"),
    (["nosuch://x", "--metrics", "127.0.0.1:0"], "nosuch"),
    (["tcp://127.0.0.1:1", "--metrics", "127.0.0.1:0", "--interval", "soon"], "duration"),
])
def test_bad_options_are_one_line_and_exit_2(binary, args, names):
    code, out, err = run_cli(binary, ["bridge", *args])
    assert code == 2, (code, out, err)
    assert len(err.strip().splitlines()) == 1 and names in err, err
