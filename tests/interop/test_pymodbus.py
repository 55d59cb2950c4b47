"""pymodbus (3.0) against the twin over Modbus TCP, the pseudo-terminal and RTU over TCP:
every register block read in chunks of at most 125, floats decoded ABCD and checked
against the physics of the reference load and against GET /api/v1/state; the exception
codes of the manual's rules.

    /usr/bin/python3 test_pymodbus.py PATH_TO_ambimeter
"""

import logging

from pymodbus.client import ModbusSerialClient, ModbusTcpClient
from pymodbus.transaction import ModbusRtuFramer

from interop import BLOCKS, LOAD, ModbusTwin, chunks, close, f32, main, phase_physics

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


def check_blocks(checks, label, blocks, state):
    m = blocks[0x5000]
    for k, name in enumerate(PHASES):
        v, i, p, q, s = phase_physics(name)
        got = [f32(m, a + 2 * k, 0x5000) for a in (0x5002, 0x500C, 0x5014, 0x501C, 0x5024)]
        for what, value, want in zip(("V", "I", "P", "Q", "S"), got, (v, i, p, q, s)):
            checks.check(f"{label} {name} {what}", close(value, want), f"{value} != {want}")
        api = state["measurement"][name]
        checks.check(f"{label} {name} P = API", close(got[2], api["p_kw"]), f"{got[2]} != {api['p_kw']}")
    totals = [sum(phase_physics(n)[j] for n in PHASES) for j in (2, 3)]
    checks.check(f"{label} total P", close(f32(m, 0x5012, 0x5000), totals[0]), str(f32(m, 0x5012, 0x5000)))
    checks.check(f"{label} total Q", close(f32(m, 0x501A, 0x5000), totals[1]), str(f32(m, 0x501A, 0x5000)))
    checks.check(f"{label} frequency", close(f32(m, 0x5008, 0x5000), 50.0), str(f32(m, 0x5008, 0x5000)))
    e = blocks[0x6000]
    for name, want in ENERGY_KWH.items():
        got = f32(e, int(state["energy_addresses"][name], 16), 0x6000)
        checks.check(f"{label} {name} physics", close(got, want, abs_=0.0011), f"{got} != {want}")
    for name, address in state["energy_addresses"].items():
        got = f32(e, int(address, 16), 0x6000)
        checks.check(f"{label} {name} = API", close(got, state["energy"][name]), f"{got} != {state['energy'][name]}")
    ident = blocks[0x4000]
    checks.equal(f"{label} serial 4000", ident[0:2], [0x1902, 0x0246])
    checks.equal(f"{label} modbus id 4003", ident[3], 1)
    checks.equal(f"{label} directions 4012-4014", ident[0x12:0x15], [ord("F"), ord("F"), ord("R")])


def test_tcp_reads_every_block(checks, binary):
    with ModbusTwin(binary) as twin:
        state = twin.reference()
        c = ModbusTcpClient("127.0.0.1", port=twin.tcp_port, timeout=5)
        try:
            checks.check("tcp connect", c.connect())
            check_blocks(checks, "tcp", read_all(c), state)
        finally:
            c.close()


def test_serial_pty_reads_every_block(checks, binary):
    with ModbusTwin(binary) as twin:
        state = twin.reference()
        c = ModbusSerialClient(twin.pty, baudrate=9600, parity="N", stopbits=1, bytesize=8, timeout=2)
        try:
            checks.check("pty connect", c.connect())
            check_blocks(checks, "pty", read_all(c), state)
        finally:
            c.close()


def test_rtu_over_tcp_reads_every_block(checks, binary):
    with ModbusTwin(binary) as twin:
        state = twin.reference()
        c = ModbusTcpClient("127.0.0.1", port=twin.rtu_tcp_port, framer=ModbusRtuFramer, timeout=5)
        try:
            checks.check("rtu-over-tcp connect", c.connect())
            check_blocks(checks, "rtu-over-tcp", read_all(c), state)
        finally:
            c.close()


def exception_of(response):
    return getattr(response, "exception_code", None)


def test_exception_codes(checks, binary):
    with ModbusTwin(binary) as twin:
        twin.reference()
        tcp = ModbusTcpClient("127.0.0.1", port=twin.tcp_port, timeout=5)
        pty = ModbusSerialClient(twin.pty, baudrate=9600, parity="N", timeout=2)
        try:
            tcp.connect()
            pty.connect()
            for label, c in (("tcp", tcp), ("pty", pty)):
                checks.equal(f"{label} FC04 -> 01", exception_of(c.read_input_registers(0x5000, 2, slave=1)), 1)
                checks.equal(f"{label} unmapped -> 02", exception_of(c.read_holding_registers(0x7000, 2, slave=1)), 2)
                checks.equal(f"{label} 4034 past the block -> 02",
                             exception_of(c.read_holding_registers(0x4030, 8, slave=1)), 2)
                checks.equal(f"{label} count 126 -> 03", exception_of(c.read_holding_registers(0x6000, 126, slave=1)), 3)
                checks.equal(f"{label} baud code 11 -> 03", exception_of(c.write_register(0x4004, 11, slave=1)), 3)
                checks.equal(f"{label} read-only 5002 -> 02", exception_of(c.write_register(0x5002, 1, slave=1)), 2)
            checks.equal("nothing changed", twin.state()["settings"]["modbus_baud"], 9600)
        finally:
            tcp.close()
            pty.close()


def float_at(c, address):
    r = c.read_holding_registers(address, 2, slave=1)
    if r.isError():
        raise AssertionError(f"read {address:#x}: {r}")
    return f32(r.registers, address, address)


def test_energies_never_show_more_than_was_counted(checks, binary):
    """Every face shows whole Wh cut toward zero; a Float ABCD energy is that value rounded
    toward zero, and a signed total is the shown forward minus the shown reverse."""
    with ModbusTwin(binary) as twin:
        twin.set_load({"L1": {"v": 250, "i": 4, "phi": 0}, "L2": {"v": 230, "i": 0}, "L3": {"v": 230, "i": 0}})
        twin.advance(6717.69)  # 1 kW: 1866.025 Wh forward
        twin.set_load({"L1": {"v": 250, "i": 4, "phi": 180}})
        twin.advance(7200)     # 1 kW exported: 2000 Wh reverse
        e = twin.state()["energy"]
        checks.equal("API: forward, reverse, total (C-04)",
                     (e["forward_active_kwh"], e["reverse_active_kwh"], e["total_active_kwh"]), (1.866, 2.0, -0.134))
        tcp = ModbusTcpClient("127.0.0.1", port=twin.tcp_port, timeout=5)
        pty = ModbusSerialClient(twin.pty, baudrate=9600, parity="N", timeout=2)
        try:
            tcp.connect()
            pty.connect()
            for label, c in (("tcp", tcp), ("pty", pty)):
                forward, reverse, total = (float_at(c, a) for a in (0x600C, 0x6018, 0x6000))
                checks.check(f"{label} 600C ≤ 1.866 and reads 1.866", forward * 1000 <= 1866 and round(forward, 3) == 1.866,
                             repr(forward))
                checks.check(f"{label} 6018 = 2.000", reverse == 2.0, repr(reverse))
                checks.check(f"{label} 6000 reads -0.134, no more than counted",
                             total * 1000 >= -134 and round(total, 3) == -0.134, repr(total))
                checks.equal(f"{label} the total is the shown forward minus the shown reverse",
                             round(total, 3), round(round(forward, 3) - round(reverse, 3), 3))
        finally:
            tcp.close()
            pty.close()
    with ModbusTwin(binary, pty=False) as twin:
        twin.set_load({"L1": {"v": 1000, "i": 100000, "phi": 0}, "L2": {"v": 230, "i": 0}, "L3": {"v": 230, "i": 0}})
        twin.advance(35999.999)  # 1e8 W: 999999972.2 Wh
        twin.set_load({"L1": {"v": 250, "i": 4, "phi": 0}})
        twin.advance(93)         # + 25.8 Wh: 999999998.06 Wh
        checks.equal("API: 999999.998 kWh", twin.state()["energy"]["forward_active_kwh"], 999999.998)
        c = ModbusTcpClient("127.0.0.1", port=twin.tcp_port, timeout=5)
        try:
            c.connect()
            value = float_at(c, 0x600C)
            checks.check("near the rollover the float stays below 1000000 and what was counted",
                         value < 1_000_000.0 and value <= 999999.998, repr(value))
        finally:
            c.close()


def silent(response):
    """True when a pymodbus call got no answer (it reports an I/O error, not an exception reply).
    (pymodbus 3.0 cannot connect with a timeout below 1 s: the clients use 1 s.)"""
    return response.isError() and getattr(response, "exception_code", None) is None


def test_a_meter_without_supply_is_silent(checks, binary):
    """The 2PU CT has no auxiliary supply (5.8): switched off, or with 0 V on every phase, it
    answers nothing on TCP, RTU or RTU over TCP, and accepts no write."""
    with ModbusTwin(binary) as twin:
        twin.reference()
        clients = {"tcp": ModbusTcpClient("127.0.0.1", port=twin.tcp_port, timeout=1, retries=0),
                   "pty": ModbusSerialClient(twin.pty, baudrate=9600, parity="N", timeout=1, retries=0),
                   "rtu-over-tcp": ModbusTcpClient("127.0.0.1", port=twin.rtu_tcp_port, framer=ModbusRtuFramer,
                                                   timeout=1, retries=0)}
        try:
            for c in clients.values():
                c.connect()
            for cause, off, on in (("switched off", lambda: twin.ok("POST", "/api/v1/power", {"on": False}),
                                    lambda: twin.ok("POST", "/api/v1/power", {"on": True})),
                                   ("0 V on every phase",
                                    lambda: twin.set_load({p: {"v": 0, "i": 0} for p in PHASES}),
                                    lambda: twin.set_load(LOAD))):
                pdc = twin.state()["status"]["power_down_counter"]
                off()
                for label, c in clients.items():
                    checks.check(f"{cause}: {label} read times out", silent(c.read_holding_registers(0x4000, 2, slave=1)))
                    checks.check(f"{cause}: {label} write times out", silent(c.write_register(0x6048, 2, slave=1)))
                on()
                checks.equal(f"{cause}: nothing was written", twin.state()["status"]["tariff"], 1)
                checks.equal(f"{cause}: the power-up counted", twin.state()["status"]["power_down_counter"], pdc + 1)
                for label, c in clients.items():
                    r = c.read_holding_registers(0x4000, 2, slave=1)
                    checks.check(f"{cause}: {label} answers again", not r.isError() and r.registers == [0x1902, 0x0246],
                                 str(r))
        finally:
            for c in clients.values():
                c.close()


if __name__ == "__main__":
    main("interop pymodbus", [
        ("Modbus TCP reads every block with the physics of the load", test_tcp_reads_every_block),
        ("RTU on the pty reads every block", test_serial_pty_reads_every_block),
        ("RTU over TCP reads every block", test_rtu_over_tcp_reads_every_block),
        ("exception codes 01, 02 and 03", test_exception_codes),
        ("energies never show more than was counted", test_energies_never_show_more_than_was_counted),
        ("a meter without supply is silent", test_a_meter_without_supply_is_silent),
    ])
