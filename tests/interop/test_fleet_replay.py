"""A fleet's time base and its replay (docs/storage.md "Replay", docs/fleet.md "Time").

A fleet does not rewrite every meter on every save pass: a meter whose load comes from a
constant load or a generated curve is brought back after a crash by playing that source
again, from its last save to the time the fleet's journal recorded. Simulated time goes on
across restarts, and a fleet file's epoch and speed tie it to the wall clock so that shards
agree without talking.
"""
import datetime
import os
import signal
import time

import pytest

from interop import Twin, run_cli

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "scenarios", "fleet-example.toml")
EXAMPLE_METERS = 562


def all_meters(twin):
    meters = []
    while True:
        page = twin.ok("GET", f"/api/v1/meters?offset={len(meters)}&limit=1000")
        meters += page["meters"]
        if len(meters) >= page["total"]:
            return meters


def counted(twin):
    return {m["serial"]: (m["forward_kwh"], m["reverse_kwh"]) for m in all_meters(twin)}


def stepped(binary, state, fleet_file, *extra):
    return Twin(binary, state, "--clock", "stepped", "--fleet", fleet_file, "--mbus-tcp", "off",
                "--persist-interval", "0.2", *extra)


def test_after_kill_9_every_meter_is_replayed_to_the_journal_and_counts_on_exactly(
        binary, tmp_path):
    """562 meters of the example (household curves, shops, constant loads): after kill -9
    each meter comes back with exactly what it had counted at the fleet's last pass, and a
    day later it reads what a fleet that never stopped reads."""
    state = str(tmp_path / "state")
    control = stepped(binary, str(tmp_path / "control"), EXAMPLE)
    first = stepped(binary, state, EXAMPLE)
    try:
        control.start(120)
        first.start(120)
        for twin in (control, first):
            twin.advance(13 * 3600 + 600)        # 13:10 on day one: PV exporting
        before = counted(first)
        time.sleep(1.0)                          # a few passes: the journal has 13:10
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait(10)
    finally:
        first.kill()
    again = stepped(binary, state, EXAMPLE)
    try:
        again.start(120)
        assert again.ready["fresh"] == 0 and again.ready["with_error_code"] == 0
        assert again.ready["sim_ms"] == (13 * 3600 + 600) * 1000, "time goes on where it stopped"
        # The demo meter ("lab") plays a scenario table: saved every pass, not replayed.
        assert again.ready["replayed"] == EXAMPLE_METERS - 1
        assert counted(again) == before
        for twin in (control, again):
            twin.advance(86400)
        assert counted(again) == counted(control)
    finally:
        again.kill()
        control.kill()


def test_a_meter_left_out_of_a_run_is_not_replayed_through_it(binary, tmp_path):
    """Group y is in runs 1 and 3 but not in run 2: in run 3 it must not count the hours of
    run 2 (its record was written by another run than the journal's), while group x, which
    ran throughout, is replayed."""
    both = tmp_path / "both.toml"
    only_x = tmp_path / "x.toml"
    groups = ('[[group]]\nname = "x"\ncount = 3\nserial = "30000000"\nload = "all=230V,5A"\n',
              '[[group]]\nname = "y"\ncount = 3\nserial = "30000100"\nload = "all=230V,5A"\n')
    both.write_text(groups[0] + groups[1])
    only_x.write_text(groups[0])
    state = str(tmp_path / "state")
    hour_kwh = 3 * 230 * 5 / 1000
    with stepped(binary, state, str(both)) as run1:
        run1.advance(3600)
        run1.terminate()
    with stepped(binary, state, str(only_x)) as run2:
        assert run2.ready["replayed"] == 3
        run2.advance(2 * 3600)
        time.sleep(0.6)
        run2.kill()
    with stepped(binary, state, str(both)) as run3:
        assert run3.ready["replayed"] == 3, "x only"
        assert run3.ready["sim_ms"] == 3 * 3600 * 1000
        energy = counted(run3)
    for n in range(3):
        assert energy[f"3000000{n}"][0] == pytest.approx(3 * hour_kwh, abs=0.002)
        assert energy[f"3000010{n}"][0] == pytest.approx(hour_kwh, abs=0.002)


def epoch_file(path, epoch, speed):
    text = open(EXAMPLE).read()
    text = text.replace('[fleet]\n', f'[fleet]\nepoch = {epoch}\nspeed = {speed}\n', 1)
    path.write_text(text)
    return str(path)


def test_four_shards_on_an_epoch_agree_on_time_without_talking(binary, tmp_path):
    """`[fleet] epoch` and `speed`: simulated time is (wall time - epoch) x speed in every
    shard; the API may not change the speed; a shard restarted later is still on it."""
    day_ago = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1))
    epoch = day_ago.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    speed = 60
    path = epoch_file(tmp_path / "epoch.toml", epoch, speed)
    epoch_s = datetime.datetime.strptime(epoch, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()
    shards = [Twin(binary, str(tmp_path / f"s{k}"), "--fleet", path, "--shard", f"{k}/4",
                   "--mbus-tcp", "off") for k in range(4)]
    try:
        for s in shards:
            s.start(120)
        for s in shards:
            first = s.ready["gateways"][0]["serials"][0]
            wall = time.time()
            sim_ms = s.ok("GET", f"/api/v1/meters/{first}/state")["time"]["sim_ms"]
            expected = (wall - epoch_s) * speed * 1000
            # The read itself takes some wall milliseconds, times 60.
            assert abs(sim_ms - expected) < 60 * 1000, (sim_ms, expected)
            assert s.ok("GET", f"/api/v1/meters/{first}/state")["time"]["speed"] == speed
        status, answer = shards[0].put("/api/v1/clock", {"speed": 2})
        assert status == 409 and "epoch fixes the speed" in answer["error"], answer
        # A shard stopped for two seconds comes back on the epoch's time, not where it stopped.
        shards[1].terminate()
        time.sleep(2)
        again = Twin(binary, str(tmp_path / "s1"), "--fleet", path, "--shard", "1/4",
                     "--mbus-tcp", "off")
        shards[1] = again
        again.start(120)
        expected = (time.time() - epoch_s) * speed * 1000
        assert abs(again.ready["sim_ms"] - expected) < 60 * 1000
    finally:
        for s in shards:
            s.kill()


@pytest.mark.parametrize("fleet, args, message", [
    ("[fleet]\nepoch = \"2026-01-01\"\n[[group]]\n", [],
     "t.toml:2: fleet.epoch: give a date and time with its offset"),
    ("[fleet]\nepoch = 2026-01-01T00:00:00\n[[group]]\n", [],
     "t.toml:2: fleet.epoch: give a date and time with its offset"),
    ("[fleet]\nspeed = 0\n[[group]]\n", [], "t.toml:2: fleet.speed: give simulated seconds"),
    ("[fleet]\nspeed = 60\n[[group]]\n", ["--speed", "5"],
     "--speed 5 differs from fleet.speed 60 in"),
    ("[fleet]\nepoch = 2999-01-01T00:00:00Z\n[[group]]\n", [],
     "fleet.epoch is"),
])
def test_a_bad_time_base_is_refused_with_one_line(binary, tmp_path, fleet, args, message):
    path = tmp_path / "t.toml"
    path.write_text(fleet)
    code, out, err = run_cli(binary, ["run", "--state", str(tmp_path / "s"), "--http",
                                      "127.0.0.1:0", "--modbus-tcp", "127.0.0.1:0",
                                      "--mbus-tcp", "off", "--fleet", str(path)] + args)
    assert code == 2, err
    assert message in err, err
    assert len(err.strip().splitlines()) == 1, err
