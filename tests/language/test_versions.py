"""engine.language.versions and the loader's checks of versions: docs/INTERFACE.md "Contract
versions and what-if". The contract is tests/fixtures/valid/minimal.yaml (calendar emea,
Europe/London) as version 1.0 from 2026-01-01, and a copy as version 2.0."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.language.loader import check_files, load_contracts
from engine.language.versions import contract_keys, day_start, in_force, loaded_key, overlaps, windows, zone_of
from engine.model.events import parse_instant

VALID = Path(__file__).resolve().parents[1] / "fixtures" / "valid"


def two_versions(folder: Path, v2_from: str = "2027-01-01", v1_to: str | None = None) -> Path:
    """`folder` holding minimal.yaml (1.0 from 2026-01-01, until `v1_to` if given) and minimal-2.yaml
    (2.0 from `v2_from`, P2 response 1 hour instead of 2), with the rule document they include."""
    shutil.copytree(VALID, folder, dirs_exist_ok=True)
    text = (folder / "minimal.yaml").read_text(encoding="utf-8")
    if v1_to is not None:
        (folder / "minimal.yaml").write_text(text.replace("effective_from: 2026-01-01\n",
                                                          f"effective_from: 2026-01-01\neffective_to: {v1_to}\n"),
                                             encoding="utf-8")
    v2 = (text.replace('version: "1.0"', 'version: "2.0"').replace("effective_from: 2026-01-01", f"effective_from: {v2_from}")
          .replace("value: 2 hours", "value: 1 hour"))
    (folder / "minimal-2.yaml").write_text(v2, encoding="utf-8")
    return folder


def test_one_version_keeps_its_id_as_key_and_several_are_keyed_id_at_version(tmp_path):
    one, _ = load_contracts([VALID])
    assert list(one) == ["minimal"]
    both, diags = load_contracts([two_versions(tmp_path)])
    assert diags == []
    assert sorted(both) == ["minimal@1.0", "minimal@2.0"]
    assert contract_keys(one.values()) == one


def test_a_version_is_in_force_from_its_first_day_until_the_next_version_in_the_first_calendars_zone(tmp_path):
    contracts, _ = load_contracts([two_versions(tmp_path, v2_from="2027-07-01")])
    assert zone_of(contracts["minimal@1.0"]) == "Europe/London"
    (v1, v2), = windows(contracts).values()
    # 2026-01-01 00:00 in London is midnight UTC (winter); 2027-07-01 00:00 is 23:00 UTC the day before (BST)
    assert (v1.key, v1.start, v1.end, v1.ends_by) == ("minimal@1.0", parse_instant("2026-01-01T00:00:00Z"),
                                                      parse_instant("2027-06-30T23:00:00Z"), "next version")
    assert (v2.key, v2.start, v2.end, v2.ends_by) == ("minimal@2.0", parse_instant("2027-06-30T23:00:00Z"), None,
                                                      "open-ended")
    versions = windows(contracts)["minimal"]
    assert in_force(versions, parse_instant("2025-12-31T23:59:59Z")) is None
    assert in_force(versions, parse_instant("2026-01-01T00:00:00Z")) == v1
    assert in_force(versions, parse_instant("2027-06-30T22:59:59Z")) == v1
    assert in_force(versions, parse_instant("2027-06-30T23:00:00Z")) == v2
    assert in_force(versions, parse_instant("2199-01-01T00:00:00Z")) == v2


def test_effective_to_is_the_last_day_in_force_and_a_gap_has_no_version(tmp_path):
    contracts, diags = load_contracts([two_versions(tmp_path, v2_from="2027-01-10", v1_to="2026-12-31")])
    assert diags == []
    v1, v2 = windows(contracts)["minimal"]
    assert (v1.end, v1.ends_by) == (parse_instant("2027-01-01T00:00:00Z"), "effective_to")
    assert in_force(windows(contracts)["minimal"], parse_instant("2027-01-05T12:00:00Z")) is None
    assert v2.start == parse_instant("2027-01-10T00:00:00Z")


def test_day_start_reads_the_day_in_the_zone():
    assert day_start("2026-07-01", "Europe/London") == parse_instant("2026-06-30T23:00:00Z")
    assert day_start("2026-07-01", "Asia/Tokyo") == parse_instant("2026-06-30T15:00:00Z")
    assert day_start("2026-07-01", "UTC") == parse_instant("2026-07-01T00:00:00Z")


@pytest.mark.parametrize("v1_to, v2_from, overlap", [
    (None, "2027-01-01", False),          # the earlier ends where the next begins
    ("2026-12-31", "2027-01-01", False),  # back to back
    ("2027-01-01", "2027-01-01", True),   # both in force on 2027-01-01
    ("2027-06-30", "2027-01-01", True),
    (None, "2026-01-01", True),           # both start the same day
])
def test_two_versions_in_force_on_one_day_overlap(tmp_path, v1_to, v2_from, overlap):
    contracts, diags = load_contracts([two_versions(tmp_path, v2_from=v2_from, v1_to=v1_to)])
    assert bool(overlaps(contracts)) is overlap
    assert [d.code for d in diags] == (["version-overlap"] if overlap else [])


def test_version_overlap_is_located_at_the_later_versions_effective_from(tmp_path):
    folder = two_versions(tmp_path, v2_from="2027-01-01", v1_to="2027-06-30")
    _, diags = load_contracts([folder])
    (d,) = diags
    assert (d.code, d.file, d.line, d.col, d.path) == ("version-overlap", str(folder / "minimal-2.yaml"), 5, 17,
                                                      ("effective_from",))
    assert d.message == ("contract 'minimal' version '2.0' is in force from 2027-01-01, when version '1.0' "
                         f"({folder / 'minimal.yaml'}) still is: it is in force until the end of 2027-06-30")
    assert d.hint and "effective_to" in d.hint
    assert [x.code for x in check_files([folder])] == ["version-overlap"]  # `obligo validate` sees it too
    out, err = io.StringIO(), io.StringIO()
    assert main(["validate", str(folder)], out, err) == 1
    assert err.getvalue().startswith(f"{folder / 'minimal-2.yaml'}:5:17: version-overlap: ")


def test_the_same_version_twice_is_a_duplicate_at_its_version_line(tmp_path):
    shutil.copytree(VALID, tmp_path, dirs_exist_ok=True)
    shutil.copy(tmp_path / "minimal.yaml", tmp_path / "copy.yaml")
    _, diags = load_contracts([tmp_path])
    (d,) = diags
    assert (d.code, d.file, d.line) == ("duplicate-contract", str(tmp_path / "minimal.yaml"), 4)
    assert d.message == f"contract id 'minimal' version '1.0' is already defined in {tmp_path / 'copy.yaml'}"


def test_loaded_key_finds_a_saved_version_under_its_key_now(tmp_path):
    one, _ = load_contracts([VALID])
    both, _ = load_contracts([two_versions(tmp_path)])
    assert loaded_key(both, "minimal", "1.0") == "minimal@1.0"  # saved with one version, two loaded now
    assert loaded_key(one, "minimal@1.0", "1.0") == "minimal"   # and back
    assert loaded_key(both, "minimal@2.0", "2.0") == "minimal@2.0"
    assert loaded_key(one, "minimal", "3.0") is None
    assert loaded_key(one, "other", "1.0") is None


@pytest.mark.parametrize("dates, at, in_force_then", [
    ("effective_from: 0001-01-01\neffective_to: 9999-12-31", "2026-03-02T10:00:00Z", True),  # no overflow
    ("effective_from: 0001-01-01\neffective_to: 1899-12-31", "1900-01-01T00:00:00Z", False),
    ("effective_from: 2200-01-01", "2199-12-31T23:59:59Z", False),  # after every instant an event may have
    ("effective_from: 1900-01-01\neffective_to: 2199-12-31", "2199-12-31T23:59:59Z", True),
])
def test_dates_beyond_the_years_of_events_bound_nothing_and_never_overflow(tmp_path, dates, at, in_force_then):
    shutil.copytree(VALID, tmp_path, dirs_exist_ok=True)
    path = tmp_path / "minimal.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("effective_from: 2026-01-01", dates), encoding="utf-8")
    contracts, diags = load_contracts([tmp_path])
    assert diags == []
    assert (in_force(windows(contracts)["minimal"], parse_instant(at)) is not None) is in_force_then
    out, err = io.StringIO(), io.StringIO()
    assert main(["show", str(path)], out, err) == 0 and err.getvalue() == ""
