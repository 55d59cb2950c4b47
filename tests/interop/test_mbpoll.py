"""mbpoll (the command-line Modbus master) against the twin over Modbus TCP and the
pseudo-terminal: Float ABCD values (-t 4:float -B), 16-bit registers, a write.

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/interop/test_mbpoll.py --binary=PATH_TO_ambimeter
"""

from interop import close, mbpoll, phase_physics

PHASES = ["L1", "L2", "L3"]


def floats(label, args, start, count):
    """Reads `count` floats from `start` (PDU addressing); returns [float]."""
    code, values, out = mbpoll(*args[:-1], "-a", 1, "-0", "-r", hex(start), "-t", "4:float", "-B",
                               "-c", count, args[-1])
    assert code == 0 and len(values) == count, f"{label} {start:#x}: mbpoll ran: {out}"
    return [float(values[start + 2 * k]) for k in range(count)]


def check_physics(label, args, state):
    volts = floats(label, args, 0x5002, 3)
    amps = floats(label, args, 0x500C, 3)
    power = floats(label, args, 0x5014, 3)
    for k, name in enumerate(PHASES):
        v, i, p, _, _ = phase_physics(name)
        assert close(volts[k], v, rel=1e-4), f"{label} {name} V: {volts[k]} != {v}"
        assert close(amps[k], i, rel=1e-4), f"{label} {name} I: {amps[k]} != {i}"
        assert close(power[k], p, rel=1e-4), f"{label} {name} P: {power[k]} != {p}"
    energy = floats(label, args, 0x6000, 1)
    want = state["energy"]["total_active_kwh"]
    assert close(energy[0], want, rel=1e-4, abs_=1.1e-3), f"{label} 6000 total kWh: {energy[0]} != {want}"


def test_tcp(modbus_twin):
    twin = modbus_twin
    state = twin.reference()
    args = ["-m", "tcp", "-p", twin.tcp_port, "127.0.0.1"]
    check_physics("tcp", args, state)
    code, values, out = mbpoll(*args[:-1], "-a", 1, "-0", "-r", 0x4000, "-c", 4, args[-1])
    assert [values.get(0x4000 + k) for k in range(4)] == ["6402", "582", "4371", "1"], \
        f"tcp 4000-4003 serial, meter code, id: {out}"
    code, _, out = mbpoll(*args[:-1], "-a", 1, "-0", "-r", 0x4010, args[-1], 37)
    assert code == 0, f"tcp write 4010 = 0x0025: {out}"
    assert twin.state()["settings"]["lcd_cycle_s"] == 25, "tcp write effect"


def test_rtu_on_the_pty(modbus_twin):
    twin = modbus_twin
    state = twin.reference()
    args = ["-m", "rtu", "-b", 9600, "-P", "none", "-o", 2, twin.pty]
    check_physics("rtu", args, state)
    code, values, out = mbpoll(*args[:-1], "-a", 1, "-0", "-r", 0x4012, "-c", 3, args[-1])
    assert [values.get(0x4012 + k) for k in range(3)] == [str(ord("F")), str(ord("F")), str(ord("R"))], \
        f"rtu 4012-4014 current directions F F R: {out}"
