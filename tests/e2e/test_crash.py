"""Crash test: kill -9 an accelerated twin at random instants, 100 times, and check that
storage always loads cleanly and loses at most one save interval (PRODUCT.md "Nothing is
lost"; manual 8.1).

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e/test_crash.py --binary=PATH_TO_ambimeter
"""

import random
import time

import pytest

from twin import Twin

CYCLES = 100
SPEED = 3600.0              # simulated seconds per wall second
PERSIST_INTERVAL_S = 0.2    # wall seconds between saves
TICK_S = 0.05               # the twin's clock tick
MARGIN_S = 0.15             # scheduling and fsync slack
LOAD = "L1=230V,10A,0deg;L2=230V,10A,0deg;L3=230V,10A,0deg"
POWER_KW = 3 * 230 * 10 / 1000.0
MAX_SECONDS = 150           # the whole test


def allowed_loss_kwh():
    """Energy integrated in one save interval plus one tick and slack, in kWh."""
    wall_s = PERSIST_INTERVAL_S + TICK_S + MARGIN_S
    return POWER_KW * wall_s * SPEED / 3600.0


def test_crash_cycles(binary, tmp_path):
    state_dir = str(tmp_path / "state")
    rng = random.Random(20240611)
    args = ("--speed", str(SPEED), "--persist-interval", str(PERSIST_INTERVAL_S), "--load", LOAD)
    bound = allowed_loss_kwh()
    previous_start = None   # state read right after the previous restart
    previous_kill = None    # state read just before the previous kill
    max_loss = 0.0
    deadline = time.monotonic() + MAX_SECONDS
    cycles = 0
    for cycle in range(CYCLES):
        if time.monotonic() > deadline:
            pytest.fail(f"cycles finished in time: only {cycle} cycles in {MAX_SECONDS} s")
        twin = Twin(binary, state_dir, *args)
        try:
            twin.start()
            start = twin.state()
            status = start["status"]
            assert status["error_code"] == 0 and not status["stopped"], f"cycle {cycle}: loads cleanly: {status}"
            if previous_start is not None:
                assert status["power_down_counter"] == previous_start["status"]["power_down_counter"] + 1, \
                    f"cycle {cycle}: power-down counter"
                max_loss = max(max_loss, compare(cycle, start, previous_start, previous_kill, bound))
            time.sleep(rng.uniform(0.05, 0.6))
            before_kill = twin.state()
        finally:
            twin.kill()
        previous_start, previous_kill = start, before_kill
        cycles += 1
    print(f"  {cycles} crash cycles; max loss {max_loss:.3f} kWh "
          f"(bound {bound:.3f} kWh = {POWER_KW} kW x {PERSIST_INTERVAL_S + TICK_S + MARGIN_S:.2f} s "
          f"x speed {SPEED:g})", flush=True)
    assert previous_kill is not None and previous_kill["energy"]["total_active_kwh"] > 0, "energy was counted"


def loaded_floor_kwh(state, name):
    """A lower bound of what register `name` held when this run loaded its state: the value
    read, minus what the whole load can have added in the simulated time since start-up."""
    return state["energy"][name] - POWER_KW * state["time"]["sim_ms"] / 3_600_000.0 - 0.001


def compare(cycle, start, previous_start, previous_kill, bound):
    """Checks every register after a restart; returns the largest loss seen."""
    worst = 0.0
    for name, value in start["energy"].items():
        floor = loaded_floor_kwh(previous_start, name)
        assert value >= floor, \
            f"cycle {cycle}: {name} not below what the previous restart loaded: {value} < {floor:.3f}"
        loss = previous_kill["energy"][name] - value
        worst = max(worst, loss)
        assert loss <= bound + 1e-9, (f"cycle {cycle}: {name} lost at most {bound:.3f} kWh: read "
                                      f"{previous_kill['energy'][name]} before the kill, {value} after "
                                      f"(loss {loss:.3f})")
    return worst
