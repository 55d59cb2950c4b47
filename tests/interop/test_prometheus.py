"""GET /metrics against Debian's Prometheus (docs/prometheus.md): the twin's text passes
`promtool check metrics` (parse and lint), a real `prometheus` scrapes it every second and a
query through its HTTP API returns the meter's energy exactly as the twin's JSON API reports
it; a fleet's scrape holds one series per meter, a scrape config's `params:` select meters,
and a fleet larger than a scrape may hold is refused with a message naming the fix. The
health families count what the twin did (a Modbus read, a fault).

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/interop/test_prometheus.py --binary=PATH_TO_ambimeter
"""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from pymodbus.client import ModbusTcpClient
from pymodbus.transaction import ModbusRtuFramer

from interop import LOAD, Twin, port_of

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"
START_TIMEOUT_S = 60.0   # prometheus up and ready
QUERY_TIMEOUT_S = 60.0   # until a scrape's value is queryable
HTTP_TIMEOUT_S = 10.0
# The total active energy (0x6000, as the combination code combines it) and the imported
# (forward, 0x600C) counter.
ENERGY = ('ambimeter_active_energy_combined_kilowatthours'
          '{{serial="{serial}",tariff="all",phase="all"{extra}}}')
IMPORTED = ('ambimeter_active_energy_kilowatthours_total'
            '{{serial="{serial}",tariff="all",phase="all",direction="import"}}')
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class TmpTwin(Twin):
    """A stepped twin (or fleet) in a fresh folder of its own, removed when it is killed."""

    def __init__(self, binary, *extra):
        self.tmp = tempfile.mkdtemp(prefix="ambi-prom-")
        super().__init__(binary, os.path.join(self.tmp, "state"), "--clock", "stepped", *extra)

    def start(self, timeout=60.0):
        return super().start(timeout)

    def kill(self):
        super().kill()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def metrics(self, query=""):
        """(status, content type, text) of GET /metrics?query."""
        url = self.url + "/metrics" + (f"?{query}" if query else "")
        try:
            with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_S) as resp:
                return resp.status, resp.headers["Content-Type"], resp.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.headers["Content-Type"], err.read().decode()

    def host_port(self):
        return urllib.parse.urlsplit(self.url).netloc


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def promtool_check(text):
    """`promtool check metrics` on `text`: (exit code, what it says)."""
    done = subprocess.run([PROMTOOL, "check", "metrics"], input=text.encode(),
                          capture_output=True, timeout=60)
    return done.returncode, (done.stdout + done.stderr).decode()


def samples(text, family):
    """{labels text: value} of every sample of `family` in exposition `text`."""
    out = {}
    for line in text.splitlines():
        if line.startswith(family + "{") or line.startswith(family + " "):
            name_labels, value = line.rsplit(" ", 1)
            out[name_labels[len(family):]] = value
    return out


class Prometheus:
    """/usr/bin/prometheus on a free loopback port with a temporary config and storage,
    scraping `jobs` ({name: (target, params)}) and the `extra` scrape configs (YAML lines)
    every second; killed on exit."""

    def __init__(self, jobs, extra=()):
        self.tmp = tempfile.mkdtemp(prefix="ambi-prometheus-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        lines = ["global:", "  scrape_interval: 1s", "  scrape_timeout: 1s", "scrape_configs:"]
        for name, (target, params) in jobs.items():
            lines += [f"  - job_name: {name}", "    metrics_path: /metrics"]
            if params:
                lines.append("    params:")
                lines += [f"      {k}: [{json.dumps(v)}]" for k, v in params.items()]
            lines += ["    static_configs:", f"      - targets: [{json.dumps(target)}]"]
        lines += list(extra)
        self.config = os.path.join(self.tmp, "prometheus.yml")
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.log = open(os.path.join(self.tmp, "prometheus.log"), "w+b")
        self.proc = None

    def __enter__(self):
        try:
            self.proc = subprocess.Popen(
                [PROMETHEUS, f"--config.file={self.config}",
                 f"--storage.tsdb.path={os.path.join(self.tmp, 'data')}",
                 f"--web.listen-address=127.0.0.1:{self.port}"],
                stdout=self.log, stderr=self.log)
            deadline = time.monotonic() + START_TIMEOUT_S
            while time.monotonic() < deadline:
                assert self.proc.poll() is None, f"prometheus exited: {self.output()}"
                try:
                    with urllib.request.urlopen(self.url + "/-/ready", timeout=2) as r:
                        if r.status == 200:
                            return self
                except (urllib.error.URLError, ConnectionError, OSError):
                    pass
                time.sleep(0.2)
            raise AssertionError(f"prometheus not ready within {START_TIMEOUT_S} s: "
                                 f"{self.output()}")
        except BaseException:
            self.stop()
            raise

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            print(f"--- prometheus log ---\n{self.output()[-4000:]}", flush=True)
        self.stop()
        return False

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def output(self):
        if self.log.closed:
            return ""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def query(self, promql):
        """The vector result of an instant query: [{metric: {...}, value: [t, "v"]}, ...]."""
        url = self.url + "/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_S) as resp:
            answer = json.loads(resp.read())
        assert answer["status"] == "success", answer
        return answer["data"]["result"]

    def wait_for(self, promql, check):
        """Queries until `check(result)` holds (bounded); returns the result."""
        deadline = time.monotonic() + QUERY_TIMEOUT_S
        result = None
        while time.monotonic() < deadline:
            result = self.query(promql)
            if check(result):
                return result
            time.sleep(0.25)
        targets = urllib.request.urlopen(self.url + "/api/v1/targets", timeout=HTTP_TIMEOUT_S)
        raise AssertionError(f"{promql}: {result} after {QUERY_TIMEOUT_S} s; targets: "
                             f"{targets.read().decode()[:2000]}")


@pytest.fixture(scope="module")
def twin(binary):
    with TmpTwin(binary, "--modbus-tcp", "127.0.0.1:0", "--rtu-over-tcp", "127.0.0.1:0") as t:
        t.set_load(LOAD)
        t.advance(3601.7)
        yield t


def test_the_metrics_pass_promtool_and_hold_the_json_apis_values(twin):
    status, content_type, text = twin.metrics()
    assert (status, content_type) == (200, CONTENT_TYPE)
    code, said = promtool_check(text)
    assert (code, said) == (0, ""), f"promtool check metrics: {said}"
    state = twin.state()
    serial = twin.ready["serial"]
    energy = samples(text, "ambimeter_active_energy_combined_kilowatthours")
    total = energy[f'{{serial="{serial}",phase="all",tariff="all"}}']
    assert float(total) == state["energy"]["total_active_kwh"] > 0
    imported = samples(text, "ambimeter_active_energy_kilowatthours_total")
    forward = imported[f'{{serial="{serial}",phase="all",tariff="all",direction="import"}}']
    assert float(forward) == state["energy"]["forward_active_kwh"] > 0
    assert len(total.split(".")[1]) == 3, f"the reader's decimals: {total}"
    l1 = samples(text, "ambimeter_voltage_volts")[f'{{serial="{serial}",phase="l1"}}']
    assert float(l1) == pytest.approx(LOAD["L1"]["v"], abs=0.01)
    info = samples(text, "ambimeter_meter_info")
    assert len(info) == 1 and list(info.values()) == ["1"]
    assert f'serial="{serial}"' in next(iter(info))
    assert samples(text, "ambimeter_simulated_time_seconds") == {"": "3601.7"}
    assert samples(text, "ambimeter_meters") == {"": "1"}


def test_the_health_families_count_requests_saves_and_faults(twin):
    serial = twin.ready["serial"]
    before = twin.metrics()[2]
    requests = f'{{serial="{serial}"}}'
    by_framing = {f: f'{{serial="{serial}",framing="{f}"}}' for f in ("tcp", "rtu")}
    served = {f: int(samples(before, "ambimeter_modbus_requests_total")[k])
              for f, k in by_framing.items()}
    for port, framer, reads in ((twin.ready["modbus_tcp"], None, 1),
                                (twin.ready["rtu_over_tcp"], ModbusRtuFramer, 2)):
        extra = {"framer": framer} if framer else {}
        client = ModbusTcpClient("127.0.0.1", port=port_of(port), timeout=5, **extra)
        assert client.connect()
        try:
            for _ in range(reads):
                assert not client.read_holding_registers(0x4000, 2, slave=1).isError()
        finally:
            client.close()
    status, fault = twin.request("POST", "/api/v1/faults",
                                 {"kind": "no-reply", "probability": 0.5, "duration_s": 600})
    assert status == 201, fault
    try:
        after = twin.metrics()[2]
        modbus = samples(after, "ambimeter_modbus_requests_total")
        assert {f: int(modbus[k]) - served[f] for f, k in by_framing.items()} == \
            {"tcp": 1, "rtu": 2}
        assert samples(after, "ambimeter_faults_active") == {requests: "1"}
        saves = samples(after, "ambimeter_saves_total")
        assert int(saves[f'{{serial="{serial}",outcome="ok"}}']) >= 1
        assert saves[f'{{serial="{serial}",outcome="failed"}}'] == "0"
        http = samples(after, "ambimeter_http_requests_total")
        assert int(http['{code="2xx"}']) > int(samples(before, "ambimeter_http_requests_total")
                                                ['{code="2xx"}'])
    finally:
        assert twin.request("DELETE", f"/api/v1/faults/{fault['id']}")[0] == 200
    assert samples(twin.metrics()[2], "ambimeter_faults_active") == {requests: "0"}


def test_one_meter_takes_no_selector(twin):
    status, _, text = twin.metrics("gateway=0")
    assert status == 400
    assert "takes none" in json.loads(text)["error"]


def test_prometheus_scrapes_the_twin_and_its_query_returns_the_meters_energy(twin):
    serial = twin.ready["serial"]
    energy = twin.state()["energy"]
    with Prometheus({"twin": (twin.host_port(), None)}) as prom:
        result = prom.wait_for(ENERGY.format(serial=serial, extra=""), lambda r: len(r) == 1)
        assert float(result[0]["value"][1]) == energy["total_active_kwh"]
        assert result[0]["metric"]["job"] == "twin"
        result = prom.wait_for(IMPORTED.format(serial=serial), lambda r: len(r) == 1)
        assert float(result[0]["value"][1]) == energy["forward_active_kwh"]
        up = prom.wait_for('up{job="twin"}', lambda r: len(r) == 1)
        assert up[0]["value"][1] == "1"


def test_prometheus_scrapes_one_series_per_meter_of_a_fleet_and_its_params_select(binary):
    with TmpTwin(binary, "--meters", "3") as fleet:
        meters = fleet.ok("GET", "/api/v1/meters")["meters"]
        serials = [m["serial"] for m in meters]
        assert len(serials) == 3
        for i, s in enumerate(serials):
            fleet.ok("PUT", f"/api/v1/meters/{s}/load", {"L1": {"v": 230, "i": 2 + i}})
        fleet.advance(7200)
        status, _, text = fleet.metrics()
        assert status == 200
        code, said = promtool_check(text)
        assert (code, said) == (0, ""), f"promtool check metrics: {said}"
        expected = {m["serial"]: fleet.ok("GET", f"/api/v1/meters/{m['serial']}")
                    ["energy"]["total_active_kwh"] for m in meters}
        assert len(set(expected.values())) == 3, expected
        status, _, bad = fleet.metrics("serials=12345678")
        assert status == 400 and "no meter 12345678" in json.loads(bad)["error"]
        jobs = {"fleet": (fleet.host_port(), None),
                "pair": (fleet.host_port(), {"serials": ",".join(serials[1:])})}
        # docs/prometheus.md's one target per gateway, by relabelling.
        per_gateway = ["  - job_name: gateways", "    static_configs:",
                       "      - targets: ['0']", "    relabel_configs:",
                       "      - source_labels: [__address__]",
                       "        target_label: __param_gateway",
                       "      - source_labels: [__param_gateway]",
                       "        target_label: gateway",
                       "      - target_label: __address__",
                       f"        replacement: {fleet.host_port()}"]
        with Prometheus(jobs, per_gateway) as prom:
            query = ('ambimeter_active_energy_combined_kilowatthours'
                     '{tariff="all",phase="all",job="%s"}')
            got = prom.wait_for(query % "fleet", lambda r: len(r) == 3)
            assert {r["metric"]["serial"]: float(r["value"][1]) for r in got} == expected
            pair = prom.wait_for(query % "pair", lambda r: len(r) == 2)
            assert sorted(r["metric"]["serial"] for r in pair) == sorted(serials[1:])
            by_gateway = prom.wait_for(query % "gateways", lambda r: len(r) == 3)
            assert {r["metric"]["gateway"] for r in by_gateway} == {"0"}
            scraped = prom.wait_for('ambimeter_scrape_meters', lambda r: len(r) == 3)
            assert {r["metric"]["job"]: r["value"][1] for r in scraped} == \
                {"fleet": "3", "pair": "2", "gateways": "3"}


def test_a_fleet_larger_than_a_scrape_is_refused_naming_the_selectors(binary):
    with TmpTwin(binary, "--meters", "1001", "--mbus-tcp", "off") as fleet:
        status, content_type, text = fleet.metrics()
        assert (status, content_type) == (400, "application/json"), text
        error = json.loads(text)["error"]
        assert "1001 meters" in error and "at most 1000" in error and "gateway=" in error
        status, _, text = fleet.metrics("gateway=4")
        assert status == 200, text
        assert len(samples(text, "ambimeter_meter_info")) == 1001 - 4 * 247
        status, _, text = fleet.metrics("fraction=0.25&seed=3")
        assert status == 200
        assert samples(text, "ambimeter_scrape_meters") == {"": "250"}
