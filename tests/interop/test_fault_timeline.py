"""A fault timeline in a fleet file (`[[fault]]`, docs/faults.md "A timeline in the fleet
file"), seen through the fleet's gateways by pymodbus: at 02:00 of simulated time a seeded
10 % of the meters go silent for 10 minutes (the gateway answers 0B for them) and answer
again after the window; at 03:00 the shops answer exception 04 for 5 minutes. The entries
pick exactly the meters that POST /api/v1/fleet/faults picks for the same fraction and
seed. After a restart an entry in progress resumes for what is left of it and one wholly
past is skipped; a bad entry refuses the file with one line and exit 2.

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/interop/test_fault_timeline.py --binary=PATH_TO_ambimeter
"""

import datetime
import logging
import os
import shutil
import tempfile

import pytest
from pymodbus.client import ModbusTcpClient

from interop import Twin, port_of, run_cli

logging.getLogger("pymodbus").setLevel(logging.CRITICAL)

TWO_AM, THREE_AM = 7200, 10800
GATEWAY_FAILED = 0x0B   # the gateway's "target device failed to respond"

SITE = """
[[gateway]]
name = "square"

[[group]]
name = "houses"
count = 40

[[group]]
name = "shops"
count = 10
gateway = "square"

[[fault]]               # 10 % of the fleet silent from 02:00 for 10 minutes
at = "02:00"
kind = "no-reply"
for = "10m"
fraction = 0.1
seed = 7

[[fault]]               # the shops busy from 03:00 for 5 minutes
at = 10800
kind = "exception"
exception_code = 4
duration_s = 300
group = "shops"
"""


class SiteFleet(Twin):
    """The stepped fleet of SITE (or `site`) on a given state folder."""

    def __init__(self, binary, folder, *extra, state="state", clock="stepped"):
        super().__init__(binary, os.path.join(folder, state), "--clock", clock,
                         "--fleet", os.path.join(folder, "site.toml"), "--mbus-tcp", "off",
                         *extra)

    def start(self, timeout=30.0):
        super().start(timeout)
        self.meters = self.ok("GET", "/api/v1/meters?limit=1000")["meters"]
        return self

    def answers(self):
        """serial -> "ok" (its serial read back through its gateway) or the exception code."""
        clients, result = {}, {}
        try:
            for m in self.meters:
                endpoint = m["modbus"]["endpoint"]
                if endpoint not in clients:
                    clients[endpoint] = ModbusTcpClient("127.0.0.1", port=port_of(endpoint),
                                                        timeout=5)
                    assert clients[endpoint].connect()
                r = clients[endpoint].read_holding_registers(0x4000, 2,
                                                             slave=m["modbus"]["unit"])
                if r.isError():
                    result[m["serial"]] = getattr(r, "exception_code", str(r))
                else:
                    assert r.registers == [int(m["serial"][:4], 16), int(m["serial"][4:], 16)]
                    result[m["serial"]] = "ok"
        finally:
            for c in clients.values():
                c.close()
        return result

    def with_fault(self, kind):
        """The serials whose fault list holds a fault of `kind`, active or to come."""
        return {m["serial"] for m in self.meters
                if any(f["kind"] == kind and not f["ended"] for f in
                       self.ok("GET", f"/api/v1/meters/{m['serial']}/faults")["faults"])}


@pytest.fixture
def folder():
    path = tempfile.mkdtemp(prefix="ambi-timeline-")
    with open(os.path.join(path, "site.toml"), "w") as f:
        f.write(SITE)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def silent(answers):
    return {s for s, a in answers.items() if a == GATEWAY_FAILED}


def test_the_chosen_meters_go_silent_at_two_and_answer_after_the_window(binary, folder):
    with SiteFleet(binary, folder) as fleet:
        assert fleet.ready["fault_timeline"] == 2
        assert set(fleet.answers().values()) == {"ok"}
        chosen = fleet.with_fault("no-reply")
        assert len(chosen) == 5                        # round(0.1 × 50)
        # The API's selection for the same fraction and seed is the same meters.
        answer = fleet.ok("POST", "/api/v1/fleet/faults?fraction=0.1&seed=7",
                          {"kind": "bad-crc", "start_s": 864000})   # in 10 days
        assert answer["selected"] == 5
        assert fleet.with_fault("bad-crc") == chosen
        fleet.advance(TWO_AM - 1)
        assert set(fleet.answers().values()) == {"ok"}  # 01:59:59: not yet
        fleet.advance(1)
        at_two = fleet.answers()
        assert silent(at_two) == chosen, at_two         # exactly those, from 02:00:00
        assert {a for s, a in at_two.items() if s not in chosen} == {"ok"}
        fleet.advance(599)
        assert silent(fleet.answers()) == chosen        # 02:09:59: still
        fleet.advance(1)
        assert set(fleet.answers().values()) == {"ok"}  # 02:10: the window is over
        fleet.advance(THREE_AM - TWO_AM - 600)
        at_three = fleet.answers()
        shops = {m["serial"] for m in fleet.meters if m["group"] == "shops"}
        assert {s for s, a in at_three.items() if a == 4} == shops, at_three
        assert {a for s, a in at_three.items() if s not in shops} == {"ok"}
        fleet.advance(300)
        assert set(fleet.answers().values()) == {"ok"}


def test_after_a_restart_an_entry_resumes_for_its_rest_and_a_past_one_is_skipped(binary, folder):
    with SiteFleet(binary, folder) as fleet:
        chosen = fleet.with_fault("no-reply")
        fleet.advance(TWO_AM + 300)                     # 02:05, in the window
        assert silent(fleet.answers()) == chosen
        assert fleet.terminate() == 0
    with SiteFleet(binary, folder) as fleet:
        assert fleet.ready["sim_ms"] == (TWO_AM + 300) * 1000
        assert silent(fleet.answers()) == chosen        # resumed at once
        assert "[[fault]] 1 (no-reply) started at 7200 s, before the fleet's time 7500 s: " \
               "resumed for its last 300 s" in fleet.stderr()
        fleet.advance(299)
        assert silent(fleet.answers()) == chosen
        fleet.advance(1)
        assert set(fleet.answers().values()) == {"ok"}  # it ends at 02:10 as in the file
        fleet.advance(THREE_AM + 600 - TWO_AM - 600)    # 03:10: both entries are past
        assert fleet.terminate() == 0
    with SiteFleet(binary, folder) as fleet:
        assert fleet.ready["sim_ms"] == (THREE_AM + 600) * 1000
        err = fleet.stderr()
        assert "[[fault]] 1 (no-reply) ended at 7800 s, before the fleet's time 11400 s: " \
               "skipped" in err, err
        assert "[[fault]] 2 (exception) ended at 11100 s" in err, err
        assert fleet.with_fault("no-reply") == set() and fleet.with_fault("exception") == set()
        assert set(fleet.answers().values()) == {"ok"}


def test_two_shards_together_silence_the_meters_of_the_whole_file(binary, folder):
    with SiteFleet(binary, folder) as whole:
        chosen = whole.with_fault("no-reply")
    shards = [SiteFleet(binary, folder, "--shard", f"{k}/2", state=f"state-{k}") for k in (0, 1)]
    try:
        for s in shards:
            s.start()
        for s in shards:
            s.advance(TWO_AM)
        silent_in = [silent(s.answers()) for s in shards]
        assert silent_in[0] | silent_in[1] == chosen
        assert not silent_in[0] & silent_in[1]
    finally:
        for s in shards:
            s.kill()


def test_on_an_epoch_an_entry_already_over_is_skipped_and_one_under_way_resumes(binary, folder):
    """With `[fleet] epoch` and the real clock the fleet starts on the epoch's time, here
    03:00: the entry of 02:00-02:10 (given as a calendar time) is over, the one of
    02:55-03:55 under way."""
    epoch = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=3)
    at = (epoch + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    epoch_text = epoch.strftime("%Y-%m-%dT%H:%M:%SZ")
    with open(os.path.join(folder, "site.toml"), "w") as f:
        f.write(f"[fleet]\nepoch = {epoch_text}\n" + SITE[:SITE.index("[[fault]]")] + f"""
[[fault]]
at = {at}
kind = "no-reply"
for = "10m"

[[fault]]
at = "02:55"
kind = "exception"
for = "1h"
serials = ["19020246"]
""")
    with SiteFleet(binary, folder, clock="real") as fleet:
        assert 3 * 3600_000 - 5000 <= fleet.ready["sim_ms"] <= 3 * 3600_000 + 5000
        err = fleet.stderr()
        assert "[[fault]] 1 (no-reply) ended at 7800 s" in err and "skipped" in err, err
        assert "[[fault]] 2 (exception) started at 10500 s" in err, err
        faults = fleet.ok("GET", "/api/v1/meters/19020246/faults")["faults"]
        assert [(f["kind"], f["active"], f["end_ms"]) for f in faults] == \
            [("exception", True, (2 * 3600 + 55 * 60 + 3600) * 1000)], faults
        answers = fleet.answers()
        assert answers.pop("19020246") == 6            # exception 06, the default code
        assert set(answers.values()) == {"ok"}


@pytest.mark.parametrize("entry, message", [
    ('at = "02:00"\nkind = "no-replay"\n',
     'site.toml:3: fault 1.kind: unknown "kind" "no-replay": give one of no-reply, delay'),
    ('at = "02:00"\nkind = "delay"\ndelay_ms = 7000000\n',
     'site.toml:4: fault 1.delay_ms: "delay_ms" 7e+06 is out of range: give 0-600000 ms'),
    ('at = "02:00"\nkind = "no-reply"\ngroup = "flats"\n',
     'site.toml:4: fault 1.group: no group "flats"; the groups are houses, shops'),
    ('at = "02:00"\nkind = "no-reply"\nfraction = 2\nseed = 1\n',
     'site.toml:4: fault 1.fraction: 2 is out of range; give a share of the fleet from 0 to 1'),
    ('at = "two"\nkind = "no-reply"\n', 'site.toml:2: fault 1.at: give a simulated time'),
])
def test_a_bad_entry_refuses_the_file_with_one_line(binary, tmp_path, entry, message):
    head = SITE[:SITE.index("[[fault]]")]
    path = tmp_path / "site.toml"
    path.write_text("[[fault]]\n" + entry + head)  # the entry first: its lines are known
    code, out, err = run_cli(binary, ["run", "--state", str(tmp_path / "s"), "--http",
                                      "127.0.0.1:0", "--clock", "stepped", "--fleet", str(path)])
    assert code == 2, err
    assert message in err, err
    assert len(err.strip().splitlines()) == 1, err
