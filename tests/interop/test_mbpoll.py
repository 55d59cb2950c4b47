"""mbpoll (the command-line Modbus master) against the twin over Modbus TCP and the
pseudo-terminal: Float ABCD values (-t 4:float -B), 16-bit registers, a write.

    /usr/bin/python3 test_mbpoll.py PATH_TO_ambimeter
"""

from interop import ModbusTwin, close, main, mbpoll, phase_physics

PHASES = ["L1", "L2", "L3"]


def floats(checks, label, args, start, count):
    """Reads `count` floats from `start` (PDU addressing); returns [float] or []."""
    code, values, out = mbpoll(*args[:-1], "-a", 1, "-0", "-r", hex(start), "-t", "4:float", "-B",
                               "-c", count, args[-1])
    if not checks.check(f"{label} {start:#x}: mbpoll ran", code == 0 and len(values) == count, out):
        return []
    return [float(values[start + 2 * k]) for k in range(count)]


def check_physics(checks, label, args, state):
    volts = floats(checks, label, args, 0x5002, 3)
    amps = floats(checks, label, args, 0x500C, 3)
    power = floats(checks, label, args, 0x5014, 3)
    for k, name in enumerate(PHASES):
        v, i, p, _, _ = phase_physics(name)
        if volts:
            checks.check(f"{label} {name} V", close(volts[k], v, rel=1e-4), f"{volts[k]} != {v}")
        if amps:
            checks.check(f"{label} {name} I", close(amps[k], i, rel=1e-4), f"{amps[k]} != {i}")
        if power:
            checks.check(f"{label} {name} P", close(power[k], p, rel=1e-4), f"{power[k]} != {p}")
    energy = floats(checks, label, args, 0x6000, 1)
    want = state["energy"]["total_active_kwh"]
    if energy:
        checks.check(f"{label} 6000 total kWh", close(energy[0], want, rel=1e-4, abs_=1.1e-3), f"{energy[0]} != {want}")


def test_tcp(checks, binary):
    with ModbusTwin(binary) as twin:
        state = twin.reference()
        args = ["-m", "tcp", "-p", twin.tcp_port, "127.0.0.1"]
        check_physics(checks, "tcp", args, state)
        code, values, out = mbpoll(*args[:-1], "-a", 1, "-0", "-r", 0x4000, "-c", 4, args[-1])
        checks.equal("tcp 4000-4003 serial, meter code, id", [values.get(0x4000 + k) for k in range(4)],
                     ["6402", "582", "4371", "1"])
        code, _, out = mbpoll(*args[:-1], "-a", 1, "-0", "-r", 0x4010, args[-1], 37)
        checks.check("tcp write 4010 = 0x0025", code == 0, out)
        checks.equal("tcp write effect", twin.state()["settings"]["lcd_cycle_s"], 25)


def test_rtu_on_the_pty(checks, binary):
    with ModbusTwin(binary) as twin:
        state = twin.reference()
        args = ["-m", "rtu", "-b", 9600, "-P", "none", "-o", 2, twin.pty]
        check_physics(checks, "rtu", args, state)
        code, values, out = mbpoll(*args[:-1], "-a", 1, "-0", "-r", 0x4012, "-c", 3, args[-1])
        checks.equal("rtu 4012-4014 current directions F F R", [values.get(0x4012 + k) for k in range(3)],
                     [str(ord("F")), str(ord("F")), str(ord("R"))])


if __name__ == "__main__":
    main("interop mbpoll", [
        ("mbpoll over Modbus TCP", test_tcp),
        ("mbpoll over RTU on the pty", test_rtu_on_the_pty),
    ])
