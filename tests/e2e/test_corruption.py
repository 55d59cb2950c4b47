"""Corrupted storage (manual 8.1): a bad main or backup copy is survived and reported; both
bad stops the meter, which then never overwrites the evidence; --factory-reset recovers.

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e/test_corruption.py --binary=PATH_TO_ambimeter
"""

import hashlib
import os
import time

from twin import Twin

MAIN = "eeprom-main.bin"
BACKUP = "eeprom-backup.bin"
MANTISSA = "eeprom-mantissa.bin"
ARGS = ("--clock", "stepped", "--persist-interval", "0.1")


def flip_byte(path):
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        data[len(data) // 2] ^= 0xFF
        f.seek(0)
        f.write(data)


def digests(state_dir):
    return {name: hashlib.sha256(open(os.path.join(state_dir, name), "rb").read()).hexdigest()
            for name in (MAIN, BACKUP, MANTISSA)}


def make_meter(binary, state_dir):
    """A meter with some energy, stopped cleanly; returns its energy registers."""
    with Twin(binary, state_dir, *ARGS) as t:
        t.set_load({"L1": {"v": 230, "i": 10, "phi": 30}, "L2": {"v": 230, "i": 4, "phi": 200}})
        t.advance(36_000)
        energy = t.state()["energy"]
        assert t.terminate() == 0, "clean stop"
    assert energy["l1_forward_active_kwh"] > 0, "energy counted"
    return energy


def test_one_copy_bad(binary, tmp_path):
    """Main, then backup flipped in turn: each is survived and reported, then repaired."""
    state_dir = str(tmp_path / "one")
    energy = make_meter(binary, state_dir)
    for name, bit in ((MAIN, 0x40), (BACKUP, 0x20)):
        flip_byte(os.path.join(state_dir, name))
        with Twin(binary, state_dir, *ARGS) as t:
            s = t.state()
            assert s["status"]["error_code"] == bit, f"{name} flipped: error code"
            assert (s["status"]["stopped"], t.ready["stopped"]) == (False, False), f"{name} flipped: running"
            assert s["energy"] == energy, f"{name} flipped: energy intact"
            assert t.terminate() == 0, f"{name} flipped: clean stop"
    with Twin(binary, state_dir, *ARGS) as t:
        assert t.state()["status"]["error_code"] == 0, "repaired by the next save"


def test_both_copies_bad(binary, tmp_path):
    state_dir = str(tmp_path / "both")
    make_meter(binary, state_dir)
    flip_byte(os.path.join(state_dir, MAIN))
    flip_byte(os.path.join(state_dir, BACKUP))
    evidence = digests(state_dir)
    with Twin(binary, state_dir, *ARGS) as t:
        s = t.state()
        assert s["status"]["error_code"] == 0x61, "stopped: error code"
        assert (s["status"]["stopped"], t.ready["stopped"], t.ready["error_code"]) == (True, True, 0x61), \
            "stopped: flags"
        assert "--factory-reset" in t.stderr(), "stopped: warning names --factory-reset"
        status, body = t.put("/api/v1/settings", {"password": "0000", "settings": {"modbus_id": 7}})
        assert status == 409 and "stopped" in body.get("error", ""), f"stopped: settings refused: {body}"
        t.set_load({"L1": {"i": 10}})
        t.advance(3600)
        t.ok("POST", "/api/v1/power-cycle", {})
        assert t.state()["energy"]["total_active_kwh"] == 0.0, "stopped: integrates nothing"
        time.sleep(0.5)
        assert digests(state_dir) == evidence, "stopped: files untouched while running"
        assert t.terminate() == 0, "stopped: clean stop"
    assert digests(state_dir) == evidence, "stopped: files untouched after SIGTERM"
    with Twin(binary, state_dir, *ARGS, "--factory-reset") as t:
        s = t.state()
        assert (s["status"]["error_code"], s["status"]["stopped"], s["status"]["power_down_counter"],
                s["energy"]["total_active_kwh"], t.ready["fresh"]) == (0, False, 1, 0.0, True), \
            "factory reset: a new meter"
        assert t.terminate() == 0, "factory reset: clean stop"
    with Twin(binary, state_dir, *ARGS) as t:
        assert t.state()["status"]["power_down_counter"] == 2, "after factory reset: stored"


def test_unreadable_file(binary, tmp_path):
    """A file that cannot be read (a directory in its place) is corrupt and cannot be operated
    (C23): the meter starts from the other copy, reports bits 6 and 3, and runs on."""
    state_dir = str(tmp_path / "unreadable")
    energy = make_meter(binary, state_dir)
    os.remove(os.path.join(state_dir, MAIN))
    os.mkdir(os.path.join(state_dir, MAIN))
    with Twin(binary, state_dir, *ARGS) as t:
        s = t.state()
        assert s["status"]["error_code"] == 0x48, "error code: main corrupt + cannot be operated"
        assert (s["status"]["stopped"], t.ready["stopped"]) == (False, False), "running, not stopped"
        assert s["energy"] == energy, "energy from the backup"
        t.set_load({"L1": {"v": 230, "i": 10}})
        t.advance(3600)
        assert t.state()["energy"]["l1_forward_active_kwh"] > energy["l1_forward_active_kwh"], "counts on"
        assert "cannot write the state" in t.stderr(), "the failing area is logged"
        assert t.terminate() == 0, "clean stop"
    assert "internal error" not in t.stderr(), "no internal error"
