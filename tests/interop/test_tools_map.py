"""`ambimeter map` against the generated docs: the JSON lists every register and record of
docs/modbus-registers.md and docs/mbus-records.md with its address (or header bytes), words
(or data field), encoding and unit; the CSV parses with the csv module and says the same;
the markdown is the docs' tables line for line; a bad --format or --table is one line on
stderr and exit 2.

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/interop/test_tools_map.py --binary=PATH_TO_ambimeter
"""

import csv
import io
import json
import os

import pytest

from tools import ambimeter

DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs")


def docs_tables(name):
    """[[row cells]] per markdown table of docs/<name>, header and rule rows left out."""
    tables, rows = [], None
    with open(os.path.join(DOCS, name), encoding="utf-8") as f:
        for line in f.read().splitlines():
            if line.startswith("|"):
                if rows is None:
                    rows = []
                    tables.append(rows)
                rows.append([c.strip() for c in line.strip().strip("|").split("|")])
            else:
                rows = None
    return [t[2:] for t in tables]


def table_lines(text):
    return [line for line in text.splitlines() if line.startswith("|")]


def docs_lines(name):
    with open(os.path.join(DOCS, name), encoding="utf-8") as f:
        return table_lines(f.read())


def record_unit_text(r):
    """A record's unit as the docs write it: "0.01 V", "Wh", "0.01" (a plain number), "-"."""
    step = f"{10.0 ** r['exponent']:g}"
    if r["unit"] is None:
        return "-" if r["exponent"] == 0 else step
    return r["unit"] if r["exponent"] == 0 else f"{step} {r['unit']}"


def run_map(binary, *args):
    code, out, err = ambimeter(binary, "map", *args)
    assert code == 0, f"map {args}: exit {code}: {err}"
    assert err == ""
    return out


def test_json_lists_every_register_and_record(binary):
    j = json.loads(run_map(binary, "--format", "json"))
    registers = j["modbus"]["registers"]
    (docs_registers,) = docs_tables("modbus-registers.md")
    assert len(registers) == len(docs_registers) > 100
    for r, row in zip(registers, docs_registers):
        address, name, _, group, words, encoding, unit = row[:7]
        assert r["address"] == int(address, 16) and r["address_hex"] == address, name
        assert (r["name"], r["words"], r["encoding"]) == (name, int(words), encoding)
        assert r["unit"] == (None if unit == "-" else unit), name
        assert (r["group"] or "") == group, name
        assert r["access"] == row[7]
    read, write = docs_tables("mbus-records.md")
    records = j["mbus"]["read"]
    assert len(records) == len(read) > 30
    for r, row in zip(records, read):
        index, name, contents, group, dib, vib, data, unit = row[:8]
        assert (r["index"], r["name"], r["description"], r["group"]) == (int(index), name, contents, group)
        assert (r["dif_dife"], r["vif_vife"], r["data"]) == (dib, vib, data), name
        assert record_unit_text(r) == unit, name
        assert row[8] == f"{r['example']} = `{r['example_bytes']}`", name
    assert [w["name"] for w in j["mbus"]["write"]] == [row[0] for row in write]
    assert [(w["dif_dife"], w["vif_vife"], w["data"]) for w in j["mbus"]["write"]] == \
        [tuple(row[2:5]) for row in write]


def test_json_of_one_table(binary):
    assert list(json.loads(run_map(binary, "--format", "json", "--table", "modbus"))) == ["modbus"]
    assert list(json.loads(run_map(binary, "--format", "json", "--table", "mbus"))) == ["mbus"]


def test_csv_parses_and_says_what_the_docs_say(binary):
    rows = list(csv.DictReader(io.StringIO(run_map(binary, "--format", "csv"))))
    (docs_registers,) = docs_tables("modbus-registers.md")
    read, write = docs_tables("mbus-records.md")
    modbus = [r for r in rows if r["table"] == "modbus"]
    assert len(modbus) == len(docs_registers)
    for r, row in zip(modbus, docs_registers):
        assert [r["address"], r["name"], r["description"], r["group"], r["words"], r["encoding"],
                r["unit"] or "-", r["access"]] == row[:8]
        assert r["write_fc"] == row[8].replace(",", "")
        scale = row[9].split(" ")[2] if row[9] else ""
        assert r["integer_scale"] == scale, r["name"]
    mbus_read = [r for r in rows if r["table"] == "mbus_read"]
    assert [(r["name"], r["dif_dife"], r["vif_vife"], r["encoding"]) for r in mbus_read] == \
        [(row[1], row[4], row[5], row[6]) for row in read]
    mbus_write = [r for r in rows if r["table"] == "mbus_write"]
    assert [(r["name"], r["description"]) for r in mbus_write] == [(row[0], row[1]) for row in write]
    assert len(rows) == len(modbus) + len(mbus_read) + len(mbus_write)


def test_markdown_is_the_docs_tables(binary):
    assert table_lines(run_map(binary)) == docs_lines("modbus-registers.md") + docs_lines("mbus-records.md")
    assert table_lines(run_map(binary, "--table", "modbus")) == docs_lines("modbus-registers.md")
    assert table_lines(run_map(binary, "--format", "md", "--table", "mbus")) == docs_lines("mbus-records.md")


@pytest.mark.parametrize("args, names", [
    (["--format", "xml"], ["--format", "xml", "md", "json", "csv"]),
    (["--table", "registers"], ["--table", "registers", "modbus", "mbus"]),
    (["--colour"], ["--colour"]),
])
def test_bad_options_are_one_line_and_exit_2(binary, args, names):
    code, out, err = ambimeter(binary, "map", *args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1, err
    for name in names:
        assert name in err, err
