"""pymodbus (3.0) against the twin over Modbus TCP, the pseudo-terminal and RTU over TCP:
every register block read in chunks of at most 125, floats decoded ABCD and checked
against the physics of the reference load and against GET /api/v1/state; the exception
codes of the manual's rules.

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/interop/test_pymodbus.py --binary=PATH_TO_ambimeter
"""

import contextlib
import logging

import pytest
from pymodbus.client import ModbusSerialClient, ModbusTcpClient
from pymodbus.transaction import ModbusRtuFramer

from interop import BLOCKS, LOAD, ModbusTwin, chunks, close, f32, phase_physics

logging.getLogger("pymodbus").setLevel(logging.CRITICAL)

PHASES = ["L1", "L2", "L3"]
ENERGY_KWH = {  # energy = P·1 h per phase, forward and reverse split by sign (C-04 totals)
    "l1_forward_active_kwh": 2.3, "l2_forward_active_kwh": 231 * 5 * 0.8660254 / 1000,
    "l3_reverse_active_kwh": 1.603, "l3_forward_active_kwh": 0.0,
    "forward_active_kwh": 2.3 + 231 * 5 * 0.8660254 / 1000, "reverse_active_kwh": 1.603,
    "total_active_kwh": 2.3 + 231 * 5 * 0.8660254 / 1000 - 1.603,
    "l2_forward_reactive_kvarh": 231 * 5 * 0.5 / 1000,
}


def read_all(c, slave=1):
    """{block start: [words]} read in ≤125-register chunks."""
    out = {}
    for start, count in BLOCKS:
        words = []
        for address, n in chunks(start, count):
            r = c.read_holding_registers(address, n, slave=slave)
            if r.isError():
                raise AssertionError(f"read {address:#x}+{n}: {r}")
            words += r.registers
        out[start] = words
    return out


# Each transport's client, with its answer timeout in seconds.
TIMEOUT_S = {"tcp": 5, "pty": 2, "rtu-over-tcp": 5}


@contextlib.contextmanager
def connected(twin, transport, timeout=None, **extra):
    """A connected pymodbus client of `transport`, closed at the end."""
    timeout = TIMEOUT_S[transport] if timeout is None else timeout
    if transport == "tcp":
        c = ModbusTcpClient("127.0.0.1", port=twin.tcp_port, timeout=timeout, **extra)
    elif transport == "pty":
        c = ModbusSerialClient(twin.pty, baudrate=9600, parity="N", stopbits=1, bytesize=8, timeout=timeout, **extra)
    else:
        c = ModbusTcpClient("127.0.0.1", port=twin.rtu_tcp_port, framer=ModbusRtuFramer, timeout=timeout, **extra)
    try:
        assert c.connect(), f"{transport} connect"
        yield c
    finally:
        c.close()


def check_blocks(label, blocks, state):
    m = blocks[0x5000]
    for k, name in enumerate(PHASES):
        v, i, p, q, s = phase_physics(name)
        got = [f32(m, a + 2 * k, 0x5000) for a in (0x5002, 0x500C, 0x5014, 0x501C, 0x5024)]
        for what, value, want in zip(("V", "I", "P", "Q", "S"), got, (v, i, p, q, s)):
            assert close(value, want), f"{label} {name} {what}: {value} != {want}"
        api = state["measurement"][name]
        assert close(got[2], api["p_kw"]), f"{label} {name} P = API: {got[2]} != {api['p_kw']}"
    totals = [sum(phase_physics(n)[j] for n in PHASES) for j in (2, 3)]
    assert close(f32(m, 0x5012, 0x5000), totals[0]), f"{label} total P: {f32(m, 0x5012, 0x5000)}"
    assert close(f32(m, 0x501A, 0x5000), totals[1]), f"{label} total Q: {f32(m, 0x501A, 0x5000)}"
    assert close(f32(m, 0x5008, 0x5000), 50.0), f"{label} frequency: {f32(m, 0x5008, 0x5000)}"
    e = blocks[0x6000]
    for name, want in ENERGY_KWH.items():
        got = f32(e, int(state["energy_addresses"][name], 16), 0x6000)
        assert close(got, want, abs_=0.0011), f"{label} {name} physics: {got} != {want}"
    for name, address in state["energy_addresses"].items():
        got = f32(e, int(address, 16), 0x6000)
        assert close(got, state["energy"][name]), f"{label} {name} = API: {got} != {state['energy'][name]}"
    ident = blocks[0x4000]
    assert ident[0:2] == [0x1902, 0x0246], f"{label} serial 4000"
    assert ident[3] == 1, f"{label} modbus id 4003"
    assert ident[0x12:0x15] == [ord("F"), ord("F"), ord("R")], f"{label} directions 4012-4014"


@pytest.mark.parametrize("transport", ["tcp", "pty", "rtu-over-tcp"])
def test_reads_every_block(modbus_twin, transport):
    """Every block with the physics of the reference load and the API's values."""
    state = modbus_twin.reference()
    with connected(modbus_twin, transport) as c:
        check_blocks(transport, read_all(c), state)


def exception_of(response):
    return getattr(response, "exception_code", None)


@pytest.mark.parametrize("transport", ["tcp", "pty"])
def test_exception_codes(modbus_twin, transport):
    """Exception codes 01, 02 and 03 by the manual's rules; the refused writes change nothing."""
    twin = modbus_twin
    twin.reference()
    with connected(twin, transport) as c:
        assert exception_of(c.read_input_registers(0x5000, 2, slave=1)) == 1, "FC04 -> 01"
        assert exception_of(c.read_holding_registers(0x7000, 2, slave=1)) == 2, "unmapped -> 02"
        assert exception_of(c.read_holding_registers(0x4030, 8, slave=1)) == 2, "4034 past the block -> 02"
        assert exception_of(c.read_holding_registers(0x6000, 126, slave=1)) == 3, "count 126 -> 03"
        assert exception_of(c.write_register(0x4004, 11, slave=1)) == 3, "baud code 11 -> 03"
        assert exception_of(c.write_register(0x5002, 1, slave=1)) == 2, "read-only 5002 -> 02"
    assert twin.state()["settings"]["modbus_baud"] == 9600, "nothing changed"


def float_at(c, address):
    r = c.read_holding_registers(address, 2, slave=1)
    if r.isError():
        raise AssertionError(f"read {address:#x}: {r}")
    return f32(r.registers, address, address)


@pytest.mark.parametrize("transport", ["tcp", "pty"])
def test_energies_never_show_more_than_was_counted(modbus_twin, transport):
    """Every face shows whole Wh cut toward zero; a Float ABCD energy is that value rounded
    toward zero, and a signed total is the shown forward minus the shown reverse."""
    twin = modbus_twin
    twin.set_load({"L1": {"v": 250, "i": 4, "phi": 0}, "L2": {"v": 230, "i": 0}, "L3": {"v": 230, "i": 0}})
    twin.advance(6717.69)  # 1 kW: 1866.025 Wh forward
    twin.set_load({"L1": {"v": 250, "i": 4, "phi": 180}})
    twin.advance(7200)     # 1 kW exported: 2000 Wh reverse
    e = twin.state()["energy"]
    assert (e["forward_active_kwh"], e["reverse_active_kwh"], e["total_active_kwh"]) == (1.866, 2.0, -0.134), \
        "API: forward, reverse, total (C-04)"
    with connected(twin, transport) as c:
        forward, reverse, total = (float_at(c, a) for a in (0x600C, 0x6018, 0x6000))
    assert forward * 1000 <= 1866 and round(forward, 3) == 1.866, f"600C ≤ 1.866 and reads 1.866: {forward!r}"
    assert reverse == 2.0, f"6018 = 2.000: {reverse!r}"
    assert total * 1000 >= -134 and round(total, 3) == -0.134, f"6000 reads -0.134, no more than counted: {total!r}"
    assert round(total, 3) == round(round(forward, 3) - round(reverse, 3), 3), \
        "the total is the shown forward minus the shown reverse"


def test_energy_float_near_the_rollover(binary):
    with ModbusTwin(binary, pty=False) as twin:
        twin.set_load({"L1": {"v": 1000, "i": 100000, "phi": 0}, "L2": {"v": 230, "i": 0}, "L3": {"v": 230, "i": 0}})
        twin.advance(35999.999)  # 1e8 W: 999999972.2 Wh
        twin.set_load({"L1": {"v": 250, "i": 4, "phi": 0}})
        twin.advance(93)         # + 25.8 Wh: 999999998.06 Wh
        assert twin.state()["energy"]["forward_active_kwh"] == 999999.998, "API: 999999.998 kWh"
        with connected(twin, "tcp") as c:
            value = float_at(c, 0x600C)
        assert value < 1_000_000.0 and value <= 999999.998, \
            f"near the rollover the float stays below 1000000 and what was counted: {value!r}"


def silent(response):
    """True when a pymodbus call got no answer (it reports an I/O error, not an exception reply).
    (pymodbus 3.0 cannot connect with a timeout below 1 s: the clients use 1 s.)"""
    return response.isError() and getattr(response, "exception_code", None) is None


# Ways the supply goes and comes back: (take it away, give it back).
OUTAGES = {
    "switched off": (lambda twin: twin.ok("POST", "/api/v1/power", {"on": False}),
                     lambda twin: twin.ok("POST", "/api/v1/power", {"on": True})),
    "0 V on every phase": (lambda twin: twin.set_load({p: {"v": 0, "i": 0} for p in PHASES}),
                           lambda twin: twin.set_load(LOAD)),
}


@pytest.mark.parametrize("cause", list(OUTAGES))
def test_a_meter_without_supply_is_silent(modbus_twin, cause):
    """The 2PU CT has no auxiliary supply (5.8): switched off, or with 0 V on every phase, it
    answers nothing on TCP, RTU or RTU over TCP, and accepts no write."""
    twin = modbus_twin
    off, on = OUTAGES[cause]
    twin.reference()
    with contextlib.ExitStack() as stack:
        clients = {t: stack.enter_context(connected(twin, t, timeout=1, retries=0))
                   for t in ("tcp", "pty", "rtu-over-tcp")}
        pdc = twin.state()["status"]["power_down_counter"]
        off(twin)
        for label, c in clients.items():
            assert silent(c.read_holding_registers(0x4000, 2, slave=1)), f"{label} read times out"
            assert silent(c.write_register(0x6048, 2, slave=1)), f"{label} write times out"
        on(twin)
        assert twin.state()["status"]["tariff"] == 1, "nothing was written"
        assert twin.state()["status"]["power_down_counter"] == pdc + 1, "the power-up counted"
        for label, c in clients.items():
            r = c.read_holding_registers(0x4000, 2, slave=1)
            assert not r.isError() and r.registers == [0x1902, 0x0246], f"{label} answers again: {r}"
