"""Corrupted storage (manual 8.1): a bad main or backup copy is survived and reported; both
bad stops the meter, which then never overwrites the evidence; --factory-reset recovers.

Usage: /usr/bin/python3 tests/e2e/test_corruption.py PATH_TO_ambimeter
"""

import hashlib
import os
import sys
import tempfile
import time

sys.dont_write_bytecode = True
from twin import Checks, Twin, binary_from_argv  # noqa: E402

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


def make_meter(c, binary, state_dir):
    """A meter with some energy, stopped cleanly; returns its energy registers."""
    with Twin(binary, state_dir, *ARGS) as t:
        t.set_load({"L1": {"v": 230, "i": 10, "phi": 30}, "L2": {"v": 230, "i": 4, "phi": 200}})
        t.advance(36_000)
        energy = t.state()["energy"]
        c.equal("clean stop", t.terminate(), 0)
    c.check("energy counted", energy["l1_forward_active_kwh"] > 0, energy)
    return energy


def test_one_copy_bad(c, binary, tmp):
    state_dir = os.path.join(tmp, "one")
    energy = make_meter(c, binary, state_dir)
    for name, bit in ((MAIN, 0x40), (BACKUP, 0x20)):
        flip_byte(os.path.join(state_dir, name))
        with Twin(binary, state_dir, *ARGS) as t:
            s = t.state()
            c.equal(f"{name} flipped: error code", s["status"]["error_code"], bit)
            c.equal(f"{name} flipped: running", (s["status"]["stopped"], t.ready["stopped"]), (False, False))
            c.equal(f"{name} flipped: energy intact", s["energy"], energy)
            c.equal(f"{name} flipped: clean stop", t.terminate(), 0)
    with Twin(binary, state_dir, *ARGS) as t:
        c.equal("repaired by the next save", t.state()["status"]["error_code"], 0)


def test_both_copies_bad(c, binary, tmp):
    state_dir = os.path.join(tmp, "both")
    make_meter(c, binary, state_dir)
    flip_byte(os.path.join(state_dir, MAIN))
    flip_byte(os.path.join(state_dir, BACKUP))
    evidence = digests(state_dir)
    with Twin(binary, state_dir, *ARGS) as t:
        s = t.state()
        c.equal("stopped: error code", s["status"]["error_code"], 0x61)
        c.equal("stopped: flags", (s["status"]["stopped"], t.ready["stopped"], t.ready["error_code"]),
                (True, True, 0x61))
        c.check("stopped: warning names --factory-reset", "--factory-reset" in t.stderr(), t.stderr())
        status, body = t.put("/api/v1/settings", {"password": "0000", "settings": {"modbus_id": 7}})
        c.check("stopped: settings refused", status == 409 and "stopped" in body.get("error", ""), body)
        t.set_load({"L1": {"i": 10}})
        t.advance(3600)
        t.ok("POST", "/api/v1/power-cycle", {})
        c.equal("stopped: integrates nothing", t.state()["energy"]["total_active_kwh"], 0.0)
        time.sleep(0.5)
        c.equal("stopped: files untouched while running", digests(state_dir), evidence)
        c.equal("stopped: clean stop", t.terminate(), 0)
    c.equal("stopped: files untouched after SIGTERM", digests(state_dir), evidence)
    with Twin(binary, state_dir, *ARGS, "--factory-reset") as t:
        s = t.state()
        c.equal("factory reset: a new meter",
                (s["status"]["error_code"], s["status"]["stopped"], s["status"]["power_down_counter"],
                 s["energy"]["total_active_kwh"], t.ready["fresh"]), (0, False, 1, 0.0, True))
        c.equal("factory reset: clean stop", t.terminate(), 0)
    with Twin(binary, state_dir, *ARGS) as t:
        c.equal("after factory reset: stored", t.state()["status"]["power_down_counter"], 2)


def test_unreadable_file(c, binary, tmp):
    """A file that cannot be read (a directory in its place) is corrupt and cannot be operated
    (C23): the meter starts from the other copy, reports bits 6 and 3, and runs on."""
    state_dir = os.path.join(tmp, "unreadable")
    energy = make_meter(c, binary, state_dir)
    os.remove(os.path.join(state_dir, MAIN))
    os.mkdir(os.path.join(state_dir, MAIN))
    with Twin(binary, state_dir, *ARGS) as t:
        s = t.state()
        c.equal("error code: main corrupt + cannot be operated", s["status"]["error_code"], 0x48)
        c.equal("running, not stopped", (s["status"]["stopped"], t.ready["stopped"]), (False, False))
        c.equal("energy from the backup", s["energy"], energy)
        t.set_load({"L1": {"v": 230, "i": 10}})
        t.advance(3600)
        c.check("counts on", t.state()["energy"]["l1_forward_active_kwh"] > energy["l1_forward_active_kwh"])
        c.check("the failing area is logged", "cannot write the state" in t.stderr(), t.stderr())
        c.equal("clean stop", t.terminate(), 0)
    c.check("no internal error", "internal error" not in t.stderr(), t.stderr())


def main():
    binary = binary_from_argv()
    c = Checks("e2e corruption")
    with tempfile.TemporaryDirectory(prefix="ambimeter-corrupt-") as tmp:
        c.run("test_one_copy_bad", test_one_copy_bad, binary, tmp)
        c.run("test_both_copies_bad", test_both_copies_bad, binary, tmp)
        c.run("test_unreadable_file", test_unreadable_file, binary, tmp)
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
