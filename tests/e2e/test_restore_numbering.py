"""No case number twice after a restore, with the reference platform on loopback: the first
sync after a restore brings the window's own cases back in full and numbering continues after
the highest the platform holds; offline, it continues past the safe margin."""

from __future__ import annotations

import json
from pathlib import Path

from offline.store import Store
from tests.conftest import cli, pension
from tests.e2e.conftest import Reference


def _accept(home: Path, count: int) -> list[str]:
    store = Store(home / "clerk.db", centre_code="330212105", window_no=3)
    try:
        return [store.accept(pension(), clerk_id="admin").local_no for _ in range(count)]
    finally:
        store.close()


def _seq(local_no: str) -> int:
    return int(local_no.rsplit("-", 1)[1])


def _listed(home: Path) -> list[int]:
    return sorted(
        _seq(c["payload"]["local_no"]) for c in json.loads(cli(home, "case", "list", "--json"))
    )


def _restored(tmp_path: Path, enrolled: Path) -> Path:
    """0001–0004 accepted and synced; the machine lost; a backup taken after 0002 restored
    on its replacement."""
    _accept(enrolled, 2)
    archive = json.loads(cli(enrolled, "backup", "create", str(tmp_path / "b"), "--json"))
    _accept(enrolled, 2)
    assert json.loads(cli(enrolled, "sync", "--json"))["applied"] == 4
    replacement = tmp_path / "replacement"
    cli(replacement, "backup", "restore", archive["archive"])
    assert _listed(replacement) == [1, 2]
    return replacement


def test_the_first_sync_brings_own_cases_back_and_numbering_follows(
    tmp_path, enrolled: Path, reference: Reference
):
    home = _restored(tmp_path, enrolled)
    done = json.loads(cli(home, "sync", "--json"))
    assert done["exit_code"] == 0 and done["changes_quarantined"] == 0, done
    assert _listed(home) == [1, 2, 3, 4]  # 0003 and 0004 back from the platform, in full
    shown = json.loads(cli(home, "case", "show", _accept_no(3), "--json"))
    assert shown["payload"]["applicant"]["name"] == "张三"
    assert _accept(home, 1) == [_accept_no(5)]
    again = json.loads(cli(home, "sync", "--json"))
    assert again["exit_code"] == 0 and again["applied"] == 1, again
    assert reference.store.stats()["cases"] == 5
    assert _accept(home, 1) == [_accept_no(6)]  # settled once: later syncs change nothing


def test_offline_after_a_restore_numbering_skips_the_margin_and_keeps_it(
    tmp_path, enrolled: Path, reference: Reference
):
    home = _restored(tmp_path, enrolled)
    [offline] = _accept(home, 1)
    assert _seq(offline) > 1000  # no platform yet: past the safe margin
    done = json.loads(cli(home, "sync", "--json"))
    assert done["exit_code"] == 0 and done["changes_quarantined"] == 0, done
    assert _listed(home) == [1, 2, 3, 4, _seq(offline)]
    assert _accept(home, 1) == [_accept_no(_seq(offline) + 1)]  # never goes back below it
    assert json.loads(cli(home, "sync", "--json"))["exit_code"] == 0
    assert reference.store.stats()["cases"] == 6


def test_a_platform_that_sends_own_cases_light_leaves_the_margin(
    tmp_path, enrolled: Path, reference: Reference, monkeypatch
):
    """A platform that does not know `own=full` (API 1.1) sends the window's own cases light
    all the same: they cannot come back, so numbering stays past the margin."""
    home = _restored(tmp_path, enrolled)
    real = reference.store.changes
    monkeypatch.setattr(
        reference.store, "changes", lambda *a, own_in_full=False, **k: real(*a, **k)
    )
    assert json.loads(cli(home, "sync", "--json"))["exit_code"] == 0
    assert _listed(home) == [1, 2]
    [next_no] = _accept(home, 1)
    assert _seq(next_no) > 1000
    assert json.loads(cli(home, "sync", "--json"))["exit_code"] == 0
    assert reference.store.stats()["cases"] == 5


def test_a_light_platform_met_in_an_interrupted_run_still_leaves_the_margin(
    tmp_path, enrolled: Path, reference: Reference, monkeypatch
):
    """The own cases came back light in a run that broke off; the next run sees only cases
    the window holds. That must not be taken for a complete pull."""
    home = _restored(tmp_path, enrolled)
    first = json.loads(cli(home, "case", "show", _accept_no(1), "--json"))
    later = {
        "kind": "case.status",
        "case_id": first["case_id"],
        "server_version": 9,
        "status": "approved",
        "official_no": None,
        "at": "2026-12-02T10:00:00+08:00",
        "note": "",
    }  # the back office decides 0001: the last change of the feed
    reference.store.change("330212105", later)
    real, calls = reference.store.changes, []

    def light_then_broken(*args, own_in_full=False, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("the platform falls over")
        return real(*args, **kwargs)

    monkeypatch.setattr(reference.store, "changes", light_then_broken)
    monkeypatch.setattr("offline.sync.PAGE", 4)  # 0001–0004, then 0001 decided
    assert json.loads(cli(home, "sync", "--json", code=3))["exit_code"] == 3
    assert json.loads(cli(home, "sync", "--json"))["exit_code"] == 0
    [next_no] = _accept(home, 1)
    assert _seq(next_no) > 1000


def _accept_no(seq: int) -> str:
    from offline.clock import now

    return f"330212105-03-{now():%Y%m%d}-{seq:04d}"


def test_later_operations_on_cases_back_from_the_platform_follow_the_lost_machines(
    tmp_path, enrolled: Path, reference: Reference
):
    """The lost machine rated 0001 (in the backup, its rating not) and sent 0003 (not in the
    backup): after the restore, an operation on either continues after what the platform
    holds from this device, instead of taking a sequence number already used."""
    _accept(enrolled, 2)
    archive = json.loads(cli(enrolled, "backup", "create", str(tmp_path / "b"), "--json"))
    _accept(enrolled, 2)
    _rate(enrolled, _accept_no(1))
    assert json.loads(cli(enrolled, "sync", "--json"))["applied"] == 5
    home = tmp_path / "replacement"
    cli(home, "backup", "restore", archive["archive"])
    assert json.loads(cli(home, "sync", "--json"))["exit_code"] == 0
    _rate(home, _accept_no(3))
    _rate(home, _accept_no(1))
    done = json.loads(cli(home, "sync", "--json"))
    assert done["exit_code"] == 0 and done["applied"] == 2 and not done["held_cases"], done
    # every case agrees; the operations the lost machine sent are the platform's alone (an
    # open limit of `clerk sync verify` after a restore, README "Backup and restore")
    assert "核对办件 4 件，0 处不一致" in cli(home, "sync", "verify", code=1)


def _rate(home: Path, local_no: str) -> None:
    store = Store(home / "clerk.db", centre_code="330212105", window_no=3)
    try:
        store.evaluate(local_no, "satisfied", "window_device", clerk_id="admin")
    finally:
        store.close()
