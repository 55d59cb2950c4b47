"""A fleet described by a TOML file (`ambimeter run --fleet FILE`, docs/fleet.md): the
shipped example is started and read through its gateways and ports by pymodbus and the
libmodbus client; each group has the identities, settings and loads the file gives it, the
generated curves differ from meter to meter yet two runs of the same file are identical,
and every bad file is refused with one line naming the file, the line and the key.

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/interop/test_fleet_file.py --binary=PATH_TO_ambimeter
"""

import logging
import os
import shutil
import tempfile

import pytest
from pymodbus.client import ModbusTcpClient
from pymodbus.transaction import ModbusRtuFramer

from interop import Twin, client, port_of, run_cli

logging.getLogger("pymodbus").setLevel(logging.CRITICAL)

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "scenarios", "fleet-example.toml")
HOUSES, SHOPS, CARPARK = 240, 20, 300


class FileFleet(Twin):
    """A stepped fleet from a fleet file, in a fresh folder removed when killed."""

    def __init__(self, binary, fleet_file, *extra):
        self.tmp = tempfile.mkdtemp(prefix="ambi-fleetfile-")
        super().__init__(binary, os.path.join(self.tmp, "state"), "--clock", "stepped",
                         "--fleet", fleet_file, "--mbus-tcp", "off", *extra)

    def start(self, timeout=90.0):
        super().start(timeout)
        self.endpoints = {e["name"]: e for e in self.ready["gateways"]}
        return self

    def kill(self):
        super().kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


def serial(base, n):
    return str(int(base) + n)


def bcd_words(text):
    value = int(text, 16)
    return [value >> 16, value & 0xFFFF]


def read_serial(port, unit, rtu=False):
    extra = {"framer": ModbusRtuFramer} if rtu else {}
    c = ModbusTcpClient("127.0.0.1", port=port, timeout=5, **extra)
    try:
        assert c.connect()
        r = c.read_holding_registers(0x4000, 2, slave=unit)
        assert not r.isError(), f"port {port} unit {unit}: {r}"
        return r.registers
    finally:
        c.close()


def all_meters(twin):
    meters = []
    while True:
        page = twin.ok("GET", f"/api/v1/meters?offset={len(meters)}&limit=1000")
        meters += page["meters"]
        if len(meters) >= page["total"]:
            return meters


@pytest.fixture(scope="module")
def site(binary):
    with FileFleet(binary, EXAMPLE) as twin:
        yield twin


def test_the_ready_line_names_every_group_and_endpoint(site):
    assert site.ready["meters"] == HOUSES + SHOPS + CARPARK + 2
    assert site.ready["groups"] == ["houses", "shops", "carpark", "lab", "legacy"]
    assert site.ready["fleet_file"].endswith("fleet-example.toml")
    e = site.endpoints
    assert e["street"]["kind"] == "gateway" and e["street"]["meters"] == HOUSES
    assert e["street"]["units"] == [1, 247]          # the caretaker was moved to 247
    assert e["square"]["units"] == [100, 119]
    assert [e["carpark/1"]["meters"], e["carpark/2"]["meters"]] == [247, 53]
    assert e["carpark/1"]["serials"] == ["19100000", "19100246"]
    lab = [x for x in e.values() if x["kind"] == "port-per-meter"]
    legacy = [x for x in e.values() if x["kind"] == "rtu-over-tcp"]
    assert len(lab) == 1 and len(legacy) == 1 and "rtu_over_tcp" in legacy[0]


def test_pymodbus_finds_each_group_where_the_file_put_it(site):
    e = site.endpoints
    street = port_of(e["street"]["modbus_tcp"])
    assert read_serial(street, 247) == bcd_words("19020246")         # override: unit 247
    assert read_serial(street, 1) == bcd_words("19020247")
    assert read_serial(street, 239) == bcd_words(serial(19020246, 239))
    square = port_of(e["square"]["modbus_tcp"])
    first_shop = serial(19020246, HOUSES)                             # groups count on
    assert read_serial(square, 100) == bcd_words(first_shop)
    assert read_serial(square, 119) == bcd_words(serial(first_shop, 19))
    carpark2 = port_of(e["carpark/2"]["modbus_tcp"])
    assert read_serial(carpark2, 53) == bcd_words("19100299")
    lab = next(x for x in e.values() if x["kind"] == "port-per-meter")
    assert read_serial(port_of(lab["modbus_tcp"]), 1) == bcd_words(lab["serials"][0])
    legacy = next(x for x in e.values() if x["kind"] == "rtu-over-tcp")
    assert read_serial(port_of(legacy["rtu_over_tcp"]), 5, rtu=True) == \
        bcd_words(legacy["serials"][0])


def test_libmodbus_sees_0B_for_a_unit_nobody_has_on_a_named_gateway(site, binary):
    square = port_of(site.endpoints["square"]["modbus_tcp"])
    code, lines, err = client(binary, "tcp", "127.0.0.1", square, 99, "read", "0x4000", 2,
                              "unit", 255, "read", "0x0400", 13)
    assert code == 0, err
    assert lines[0]["exception"] == 0x0B
    assert lines[2]["values"][0] == 330 and lines[2]["values"][5] == SHOPS


def test_settings_and_factory_options_of_the_file(site):
    caretaker = site.ok("GET", "/api/v1/meters/19020246/state")
    assert caretaker["settings"]["ct_ratio"] == "500/5"
    assert caretaker["settings"]["modbus_id"] == 247
    house = site.ok("GET", "/api/v1/meters/19020247/state")
    assert house["settings"]["ct_ratio"] == "5/5"
    shop = site.ok("GET", f"/api/v1/meters/{serial(19020246, HOUSES)}/state")
    assert shop["settings"]["combination"] != house["settings"]["combination"]  # C-05
    assert shop["scenario"]["name"] == "shop"
    assert house["scenario"]["name"] == "household"


def test_generated_curves_differ_between_meters_and_export_at_noon(site):
    site.advance(13 * 3600)                      # 13:00 simulated on day one
    meters = all_meters(site)
    houses = [m for m in meters if m["serial"] != "19020246"][:HOUSES - 1]
    powers = [m["p_w"] for m in houses]
    assert len(set(powers)) == len(powers)       # no two houses draw alike
    exporting = sum(1 for p in powers if p < 0)
    assert 0.4 * len(powers) < exporting < 0.8 * len(powers)   # 60 % have PV
    carpark = [m for m in meters if "19100000" <= m["serial"] <= "19100299"]
    assert len(carpark) == CARPARK
    assert all(m["p_w"] == pytest.approx(3 * 230 * 16, abs=1) for m in carpark)


def test_two_runs_of_one_file_count_the_same(binary, site):
    site.advance(8 * 3600)                      # to 21:00: the EVs are charging
    with FileFleet(binary, EXAMPLE) as again:
        again.advance(13 * 3600)
        again.advance(8 * 3600)
        first = {m["serial"]: (m["forward_kwh"], m["reverse_kwh"], m["p_w"])
                 for m in all_meters(site)}
        second = {m["serial"]: (m["forward_kwh"], m["reverse_kwh"], m["p_w"])
                  for m in all_meters(again)}
    assert first == second
    charging = sum(1 for s, (_, _, p) in first.items() if s < "19020486" and p > 5000)
    assert charging > 5                          # some EVs, not all of them


BAD_FILES = [
    ("[[group]]\ncuont = 3\n", "bad.toml:2: group.cuont: unknown key"),
    ("[[group]]\ncount = 0\n", "bad.toml:2: group \"group1\".count: 0 is out of range"),
    ("[[group]]\nname=\"a\"\ncount=5\n[[group]]\nname=\"b\"\nserial=\"19020248\"\n",
     "bad.toml:4: group \"b\".serial: serial 19020248 is already meter 2 of group \"a\""),
    ("[[gateway]]\nname=\"g\"\n[[group]]\ncount=248\ngateway=\"g\"\n",
     "a gateway serves at most 247 meters"),
    ("[[group]]\ncount=2\n[[group.meter]]\nindex=1\nmodbus_id=1\n",
     "bad.toml:3: group \"group1\" meter 1.modbus_id: unit 1 on gateway \"group1/1\""),
    ("[[group]]\nsettings = { baud_rate = 12345 }\n", "bad.toml:2: group \"group1\".settings"),
    ("[[group]\n", "bad.toml:1: "),
]


@pytest.mark.parametrize("text, message", BAD_FILES)
def test_a_bad_fleet_file_is_refused_with_one_line(binary, tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    code, out, err = run_cli(binary, ["run", "--state", str(tmp_path / "s"), "--http",
                                      "127.0.0.1:0", "--fleet", str(path)])
    assert code == 2, err
    assert message in err, err
    assert len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "s" / "fleet").exists() or not any((tmp_path / "s" / "fleet").iterdir())


@pytest.mark.parametrize("args, message", [
    (["--fleet", "/nonexistent/site.toml"], "cannot read fleet file /nonexistent/site.toml"),
    (["--fleet", EXAMPLE, "--meters", "3"], "--meters and --fleet exclude each other"),
    (["--fleet", EXAMPLE, "--modbus-rtu", "pty:/tmp/x"], "--modbus-rtu with --fleet"),
])
def test_bad_fleet_options_are_refused(binary, tmp_path, args, message):
    code, out, err = run_cli(binary, ["run", "--state", str(tmp_path), "--http", "127.0.0.1:0"]
                             + args)
    assert code == 2, err
    assert message in err, err


def test_the_api_knows_each_meters_group_and_endpoint(site):
    shops = site.ok("GET", "/api/v1/meters?group=shops&limit=1000")
    assert shops["total"] == SHOPS
    assert {m["group"] for m in shops["meters"]} == {"shops"}
    assert {m["modbus"]["endpoint"] for m in shops["meters"]} == \
        {site.endpoints["square"]["modbus_tcp"]}
    names = [e["name"] for e in site.ready["gateways"]]
    square = site.ok("GET", f"/api/v1/meters?gateway={names.index('square')}&sort=unit")
    assert [m["modbus"]["unit"] for m in square["meters"]] == list(range(100, 120))
    lab = next(e for e in site.ready["gateways"] if e["kind"] == "port-per-meter")
    (meter,) = site.ok("GET", "/api/v1/meters?group=lab")["meters"]
    assert meter["modbus"]["endpoint"] == lab["modbus_tcp"] and meter["serial"] == lab["serials"][0]
    status, answer = site.get("/api/v1/meters?group=nope")
    assert status == 400 and "no such group; the groups are houses, shops" in answer["error"]


def test_a_fleet_wide_change_by_group(site):
    done = site.ok("PUT", "/api/v1/fleet/load?group=shops", {"L1": {"v": 230, "i": 20}})
    assert done["selected"] == SHOPS and done["changed"] == SHOPS
    shops = site.ok("GET", "/api/v1/meters?group=shops&limit=1000")["meters"]
    assert all(m["p_w"] > 4000 for m in shops)
    houses = site.ok("GET", "/api/v1/meters?group=houses&sort=p_w&order=desc&limit=1")["meters"]
    assert houses[0]["group"] == "houses"


def test_four_shards_of_one_file_share_nothing_and_keep_one_time(binary):
    """`--shard K/4` runs slice K of the fleet: whole endpoints, the file's identities; the
    four processes together are the fleet, no meter or endpoint twice, and with the stepped
    clock advanced alike they agree on simulated time."""
    shards = [FileFleet(binary, EXAMPLE, "--shard", f"{k}/4") for k in range(4)]
    try:
        for s in shards:
            s.start()
        serials, endpoints = [], []
        for k, s in enumerate(shards):
            assert s.ready["shard"] == f"{k}/4"
            endpoints += [e["name"] for e in s.ready["gateways"]]
            serials += [m["serial"] for m in all_meters(s)]
        assert len(serials) == len(set(serials)) == HOUSES + SHOPS + CARPARK + 2
        assert sorted(endpoints) == sorted(site_endpoints())
        for s in shards:
            s.advance(5400)
        times = {s.ok("GET", "/api/v1/meters?limit=1")["meters"][0]["sim_ms"] for s in shards}
        assert times == {5400 * 1000}
        # A house reads the same energy whichever shard it is in as in the whole fleet.
        street = next(s for s in shards if "street" in [e["name"] for e in s.ready["gateways"]])
        assert street.ok("GET", "/api/v1/meters/19020300/state")["scenario"]["name"] == "household"
    finally:
        for s in shards:
            s.kill()


def site_endpoints():
    return ["street", "square", "carpark/1", "carpark/2",
            f"lab/{serial(19100000, CARPARK)}", f"legacy/{serial(19100000, CARPARK + 1)}"]


def test_too_many_shards_is_refused(binary, tmp_path):
    code, out, err = run_cli(binary, ["run", "--state", str(tmp_path), "--http", "127.0.0.1:0",
                                      "--fleet", EXAMPLE, "--shard", "0/7"])
    assert code == 2 and "the fleet has 6 endpoints, too few for 7 shards" in err, err
