"""libmodbus (through tests/interop/modbus_client.c) against the twin: every block read
over TCP and over the pty, every writable register written with the manual's example
values (A3.2 "Command:" lines) and its effect checked through GET /api/v1/state, the
writes saved at once (they survive a kill -9), and a broadcast write on RTU.

    AMBI_MODBUS_CLIENT=path/to/modbus_client \
    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/interop/test_libmodbus.py --binary=PATH_TO_ambimeter
"""


from interop import BLOCKS, ModbusTwin, chunks, client, f32


def tcp(twin, *commands, unit=1):
    return client(twin.binary, "tcp", "127.0.0.1", twin.tcp_port, unit, *commands)


def one(name, result):
    """The single JSON line of a one-command run."""
    code, lines, err = result
    assert code == 0 and len(lines) >= 1, f"{name}: client ran: exit {code}, {lines}, {err}"
    return lines[-1]


# The manual's write examples: (what, client commands, settings/status member, expected),
# each preceded where needed by a write that makes the example a change.
WRITES = [
    ("4004 baud 115200", ["write", 0x4004, 10], ("settings", "modbus_baud"), 115200),
    ("4004 baud 9600 (example)", ["write", 0x4004, 6], ("settings", "modbus_baud"), 9600),
    ("400D S0 rate 10.0 (example)", ["writem", 0x400D, 2, 0x4120, 0x0000], ("settings", "s0_rate"), 10.0),
    ("400F combination 3", ["write", 0x400F, 3], ("settings", "combination"), "C-03"),
    ("400F combination 4 (example)", ["write", 0x400F, 4], ("settings", "combination"), "C-04"),
    ("4010 LCD cycle 0x0025 (example)", ["write", 0x4010, 0x0025], ("settings", "lcd_cycle_s"), 25),
    ("4011 parity none (example)", ["write", 0x4011, 2], ("settings", "parity"), "none"),
    ("4016 power-down counter 0 (example)", ["write", 0x4016, 0], ("status", "power_down_counter"), 0),
    ("6048 tariff 2 (example)", ["write", 0x6048, 2], ("status", "tariff"), 2),
    ("4021 pulse width 0x0050", ["write", 0x4021, 0x0050], ("settings", "pulse_width_ms"), 50),
    ("4021 pulse width 0x0030 (example)", ["write", 0x4021, 0x0030], ("settings", "pulse_width_ms"), 30),
    ("4022 pulse type 2 (example)", ["write", 0x4022, 2], ("settings", "pulse_type"), "forward&reverse"),
    ("4026 data type integer (example)", ["write", 0x4026, 2], ("settings", "data_type"), "integer"),
    ("4026 data type standard", ["write", 0x4026, 1], ("settings", "data_type"), "standard"),
    ("4032 screen 180 (example)", ["write", 0x4032, 1], ("settings", "screen_direction"), 1),
    ("4033 OBIS off", ["write", 0x4033, 0], ("settings", "obis"), False),
    ("4033 OBIS on (example)", ["write", 0x4033, 1], ("settings", "obis"), True),
    ("401F CT 9995/5 (example)", ["writem", 0x401F, 2, 0x9995, 0x0005], ("settings", "ct_ratio"), "9995/5"),
]


def read_blocks(label, run):
    """Reads every block through `run(*commands)`; returns {start: words}."""
    commands = []
    for start, count in BLOCKS:
        for address, n in chunks(start, count):
            commands += ["read", address, n]
    code, lines, err = run(*commands)
    assert code == 0, f"{label}: client ran: exit {code}: {err}"
    blocks = {}
    for line in lines:
        assert "values" in line, f"{label} read {line.get('address')}: {line}"
        start = max(s for s, _ in BLOCKS if s <= line["address"])
        blocks.setdefault(start, []).extend(line["values"])
    return blocks


def test_reads_every_block_over_tcp_and_rtu(modbus_twin, binary):
    twin = modbus_twin
    state = twin.reference()
    over_tcp = read_blocks("tcp", lambda *c: tcp(twin, *c))
    with ModbusTwin(binary, "--busy-poll", "0", pty=False, rtu_over_tcp=False) as sleeping:
        assert sleeping.ready["busy_poll_us"] == 0, "busy-poll off"
        sleeping.reference()
        assert read_blocks("tcp, busy-poll off", lambda *c: tcp(sleeping, *c))[0x5000][:0x10] == \
            over_tcp[0x5000][:0x10], "the same instantaneous block with busy-poll off"
    over_rtu = read_blocks("rtu", lambda *c: client(binary, "rtu", twin.pty, 9600, "N", 1, *c))
    for start, count in BLOCKS:
        assert len(over_tcp.get(start, [])) == count, f"block {start:#x} length"
    assert over_rtu == over_tcp, "RTU reads what TCP reads"
    assert abs(f32(over_tcp[0x5000], 0x5014, 0x5000) - 2.3) < 1e-5, "L1 P 2.3 kW"
    total = f32(over_tcp[0x6000], 0x6000, 0x6000)
    assert abs(total - state["energy"]["total_active_kwh"]) < 1.1e-3, "total kWh = API"
    assert "communication_active" in twin.state()["status"]["status_bits"], "status word: communication active"


def test_manual_write_examples(binary, tmp_path):
    """The manual's write examples take effect and are saved at once (they survive a kill -9)."""
    state = str(tmp_path / "state")
    with ModbusTwin(binary, "--persist-interval", "3600", state=state) as twin:
        twin.reference()
        for what, commands, (group, member), expected in WRITES:
            line = one(what, tcp(twin, *commands))
            assert line.get("ok") is True, f"{what}: echo"
            assert twin.state()[group][member] == expected, f"{what}: effect"
        trip_before = twin.state()["energy"]
        line = one("6049 trip reset (example)", tcp(twin, "writem", 0x6049, 2, 0, 0))
        assert line.get("ok") is True, "6049 echo"
        after = twin.state()["energy"]
        assert after["trip_kwh"] == 0.0, "6049 trip 0"
        assert after["total_active_kwh"] == trip_before["total_active_kwh"], "6049 total kept"
        check_modbus_id_round_trip(twin)
        twin.proc.kill()  # kill -9: only what was saved at once survives
        twin.proc.wait(15)
    with ModbusTwin(binary, state=state) as again:
        settings = again.state()["settings"]
        final = {member: expected for _, _, (group, member), expected in WRITES if group == "settings"}
        for member, expected in final.items():
            assert settings[member] == expected, f"saved at once: {member}"
        assert again.state()["status"]["tariff"] == 2, "saved at once: tariff"


def check_modbus_id_round_trip(twin):
    """4003 ID 10 (the example), then the meter answers as 10 only, then back to 1."""
    line = one("4003 id 10 (example)", tcp(twin, "write", 0x4003, 10))
    assert line.get("ok") is True, "4003 echo from the old id"
    assert twin.state()["settings"]["modbus_id"] == 10, "4003 effect"
    line = one("read as unit 10", tcp(twin, "read", 0x4003, 1, unit=10))
    assert line.get("values") == [10], "unit 10 answers"
    line = one("read as unit 1", tcp(twin, "read", 0x4003, 1, unit=1))
    assert line.get("exception") == 0x0B, "unit 1 no longer served (0B)"
    line = one("4003 back to 1", tcp(twin, "write", 0x4003, 1, unit=10))
    assert twin.state()["settings"]["modbus_id"] == 1, "4003 back to 1"


def test_broadcast_write_on_rtu(modbus_twin, binary):
    twin = modbus_twin
    code, lines, err = client(binary, "rtu", twin.pty, 9600, "N", 0, "timeout", 500, "write", 0x4032, 1,
                              "unit", 1, "read", 0x4032, 1)
    assert code == 0, f"client ran: {err}"
    # This libmodbus waits for an answer to a broadcast too: its timeout shows that none came.
    assert (lines[0].get("error") if lines else None) == "Connection timed out", "no reply to the broadcast"
    assert twin.state()["settings"]["screen_direction"] == 1, "broadcast executed"
    assert (lines[-1].get("values") if lines else None) == [1], "the next request is answered normally"
