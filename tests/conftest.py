"""Shared fixtures: real SQLite files in temporary directories, the demo catalog."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from offline.catalog import demo_catalog
from offline.intake import Intake
from offline.models import CaseMaterial, Person
from offline.store import Store

# 城乡居民基本养老保险参保登记: promised in 8 workdays; M02 (户口簿) may be missing
PENSION = "330212105-GG-0012"
ZHANG = "330212198001011238"  # valid check digit; county code newer than 1980 (stdnum refuses)


INIT = [
    "init",
    "--centre-code",
    "330212105",
    "--centre-name",
    "示范镇便民服务中心",
    "--window",
    "3",
    "--window-kind",
    "general",
    "--admin",
    "admin",
    "--pin-stdin",  # the tests give "0000\n" as input
    "--window-clerk",
    "c0107",
    "--demo-catalog",
]


def cli(home: Path, *args: str, code: int = 0, input: str | None = None) -> str:
    """Run `clerk --home HOME ARGS` in process; check the exit code and that no traceback
    reached the admin; return what it printed."""
    from click.testing import CliRunner

    from clerk.cli import main

    if input is None and "--pin-stdin" in args:  # INIT: the first admin's PIN, 0000
        input = "0000\n"
    result = CliRunner().invoke(main, ["--home", str(home), *args], input=input)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "clerk.db", centre_code="330212105", window_no=3)
    s.import_catalog(demo_catalog(), by="test")
    yield s
    s.close()


def received(code: str, scans: tuple[str, ...] = ()) -> CaseMaterial:
    """A material brought and checked, with the sha256 of its scans (if any)."""
    return CaseMaterial(
        code=code,
        name="",
        status="received",
        original_checked=True,
        copies=1,
        attachments=list(scans),
    )


def person(name: str = "张三", id_number: str = ZHANG) -> Person:
    return Person(name=name, id_type="resident_id", id_number=id_number, phone="13800001234")


def pension(name: str = "张三", id_number: str = ZHANG, missing: bool = False) -> Intake:
    second = (
        CaseMaterial(code="M02", name="", status="missing_allowed") if missing else received("M02")
    )
    return Intake(
        item_code=PENSION,
        applicant=person(name, id_number),
        form={"contribution_grade": "500元", "bank_account": "6228480012345678901"},
        materials=[received("M01"), second],
        ticket="C001",
    )
