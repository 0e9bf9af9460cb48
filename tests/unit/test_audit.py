"""The audit log is append-only and any edit or deletion breaks its hash chain."""

import sqlite3

import pytest

from tests.conftest import pension


@pytest.fixture
def logged(store):
    for _ in range(3):
        store.accept(pension(), clerk_id="c0107")
    store.audit("c0107", "receipt.print", "330212105-03-20261122-0001")
    return store


def test_chain_verifies(logged):
    check = logged.verify_audit()
    assert check.ok and check.count == 5  # catalog import, 3 accepts, 1 print


def test_triggers_refuse_update_and_delete(logged):
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        logged.db.execute("UPDATE audit_log SET clerk_id = 'x' WHERE id = 2")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        logged.db.execute("DELETE FROM audit_log WHERE id = 2")


def _tamper(store, sql):
    store.db.execute("DROP TRIGGER audit_log_no_update")
    store.db.execute("DROP TRIGGER audit_log_no_delete")
    store.db.execute(sql)


def test_edited_entry_is_found(logged):
    _tamper(logged, "UPDATE audit_log SET clerk_id = 'c0999' WHERE id = 3")
    check = logged.verify_audit()
    assert (check.ok, check.broken_at, check.count) == (False, 3, 2)
    assert "修改" in check.reason


def test_deleted_entry_is_found(logged):
    _tamper(logged, "DELETE FROM audit_log WHERE id = 2")
    check = logged.verify_audit()
    assert (check.broken_at, check.reason) == (2, "第2条记录缺失")


def test_rewritten_chain_is_found(logged):
    """Recomputing one hash is not enough: the next entry's link no longer fits."""
    from offline.audit import _digest, _fields

    _tamper(logged, "UPDATE audit_log SET target = '' WHERE id = 4")
    [row] = logged.db.query("SELECT * FROM audit_log WHERE id = 4")
    logged.db.execute("UPDATE audit_log SET hash = ? WHERE id = 4", [_digest(_fields(row))])
    assert logged.verify_audit().broken_at == 5


def test_details_are_masked(store):
    store.audit("c0107", "case.reveal", "330212198001011238", {"who": ["11010519491231002X"]})
    [event] = store.audit_entries(1)
    assert event.target == "3302**********1238"
    assert event.detail == {"who": ["1101**********002X"]}
