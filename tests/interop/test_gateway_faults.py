"""Faults on a fleet's gateway as a whole (docs/faults.md "A gateway's faults").

`POST /api/v1/gateways/{name or number}/faults` puts a link fault on one endpoint: its TCP
connections reset, closed after N requests, stalled or refused, every reply it sends lost,
late or an exception. The other gateways and every meter's own counts are untouched; when
the fault ends the gateway answers again. Clients: raw sockets, libmodbus and pymodbus.

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/interop/test_gateway_faults.py --binary=PATH
"""
import logging
import os
import shutil
import socket
import tempfile

import pytest
from pymodbus.client import ModbusTcpClient
from pymodbus.exceptions import ConnectionException

from interop import Twin, client, mbap, port_of, recv_until

logging.getLogger("pymodbus").setLevel(logging.CRITICAL)

READ = mbap(1, 1, 0x03, 0x40, 0x00, 0x00, 0x02)


@pytest.fixture(scope="module")
def fleet(binary):
    tmp = tempfile.mkdtemp(prefix="ambi-gwfaults-")
    try:
        with Twin(binary, os.path.join(tmp, "state"), "--meters", "300", "--clock", "stepped",
                  "--mbus-tcp", "off") as f:
            f.ports = [port_of(g["modbus_tcp"]) for g in f.ready["gateways"]]
            f.names = [g["name"] for g in f.ready["gateways"]]
            yield f
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def fault(fleet):
    """Starts faults on a gateway; ends each after the test."""
    started = []

    def start(gateway, **body):
        status, answer = fleet.request("POST", f"/api/v1/gateways/{gateway}/faults", body)
        assert status == 201, answer
        started.append((gateway, answer["id"]))
        return answer
    yield start
    for gateway, fid in started:
        fleet.request("DELETE", f"/api/v1/gateways/{gateway}/faults/{fid}")


def read(binary, port, unit=1, timeout_ms=1000):
    code, lines, err = client(binary, "tcp", "127.0.0.1", port, unit, "timeout", timeout_ms,
                              "read", "0x4000", 2)
    return lines[-1] if lines else {}


def test_a_reset_gateway_resets_its_connections_only(binary, fleet, fault):
    fault(0, kind="reset")
    with socket.create_connection(("127.0.0.1", fleet.ports[0]), timeout=2) as s:
        s.sendall(READ)
        with pytest.raises(ConnectionResetError):
            for _ in range(20):
                if s.recv(64) == b"":
                    pytest.fail("closed with FIN, not reset")
    assert "values" in read(binary, fleet.ports[1], 1)          # the other gateway is fine


def test_a_gateway_by_name_closes_after_n_requests(binary, fleet, fault):
    fault(fleet.names[1], kind="close", after_requests=2)
    with socket.create_connection(("127.0.0.1", fleet.ports[1]), timeout=2) as s:
        for n in range(2):
            s.sendall(mbap(n, 1, 0x03, 0x40, 0x00, 0x00, 0x02))
            assert len(recv_until(s, 13, 2)) == 13, n
        s.sendall(READ)
        assert recv_until(s, 13, 1) == b""


def test_a_stalled_gateway_never_answers_that_connection(binary, fleet, fault):
    f = fault(0, kind="stall")
    with socket.create_connection(("127.0.0.1", fleet.ports[0]), timeout=2) as s:
        s.sendall(READ)
        assert recv_until(s, 13, 0.5) == b""
        fleet.ok("DELETE", f"/api/v1/gateways/0/faults/{f['id']}")
        s.sendall(READ)
        assert recv_until(s, 13, 0.5) == b""
    assert "values" in read(binary, fleet.ports[0], 5)


def test_a_refusing_gateway_resets_new_connections_until_it_ends(binary, fleet, fault):
    f = fault(0, kind="refuse")
    c = ModbusTcpClient("127.0.0.1", port=fleet.ports[0], timeout=1, retries=0)
    try:
        # The reset may reach pymodbus before or after it counts itself connected.
        refused = not c.connect() or c.read_holding_registers(0x4000, 2, slave=1).isError()
    except ConnectionException:
        refused = True
    finally:
        c.close()
    assert refused, "a refusing gateway answered a new connection"
    fleet.ok("DELETE", f"/api/v1/gateways/0/faults/{f['id']}")
    assert "values" in read(binary, fleet.ports[0], 1, 3000)


def test_a_busy_or_silent_gateway_for_a_window(binary, fleet, fault):
    fault(1, kind="exception", exception_code=6, duration_s=60)
    assert read(binary, fleet.ports[1], 3).get("exception") == 6
    assert "values" in read(binary, fleet.ports[0], 3)
    fleet.advance(60)
    assert "values" in read(binary, fleet.ports[1], 3)
    fault(1, kind="no-reply", probability=1)
    assert "values" not in read(binary, fleet.ports[1], 3, 300)
    listed = fleet.ok("GET", "/api/v1/gateways/1/faults")["faults"]
    assert [f["kind"] for f in listed][-2:] == ["exception", "no-reply"]
    assert listed[-1]["applied"] >= 1


def test_gateway_faults_change_no_meter(binary, fleet, fault):
    fault(0, kind="no-reply")
    assert all(m["faults"] == 0 for m in fleet.ok("GET", "/api/v1/meters?limit=300")["meters"])


def test_bad_gateway_faults_are_refused(fleet):
    status, answer = fleet.request("POST", "/api/v1/gateways/9/faults", {"kind": "reset"})
    assert status == 404 and "no gateway 9" in answer["error"], answer
    status, answer = fleet.request("POST", "/api/v1/gateways/0/faults", {"kind": "phase-lost"})
    assert status == 422 and "acts on a meter" in answer["error"], answer
    status, answer = fleet.request("POST", "/api/v1/gateways/0/faults", {"kind": "reset", "x": 1})
    assert status == 422 and '"x"' in answer["error"], answer
    status, answer = fleet.request("DELETE", "/api/v1/gateways/0/faults/99")
    assert status == 404, answer
