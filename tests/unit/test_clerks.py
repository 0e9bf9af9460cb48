from datetime import timedelta

import pytest

from offline import clerks
from offline.clerks import AuthError
from offline.clock import now
from offline.models import Clerk


@pytest.fixture
def desk(store):
    store.add_clerk(Clerk(clerk_id="c0107", name="李娜"), "1234", by="admin")
    return store


def test_pin_is_stored_only_as_a_salted_scrypt_hash(desk):
    [row] = desk.db.query("SELECT pin_hash FROM clerks WHERE clerk_id = 'c0107'")
    assert row["pin_hash"].startswith("scrypt$16384$8$1$") and "1234" not in row["pin_hash"]
    assert clerks.hash_pin("1234") != clerks.hash_pin("1234")  # salted
    assert "pin_hash" not in Clerk.model_fields


def test_login_and_pin_rules(desk):
    assert desk.authenticate("c0107", "1234").name == "李娜"
    with pytest.raises(AuthError, match="还可尝试4次"):
        desk.authenticate("c0107", "9999")
    with pytest.raises(AuthError, match="工号或PIN不正确"):
        desk.authenticate("nobody", "1234")
    with pytest.raises(AuthError, match="4至12位数字"):
        desk.add_clerk(Clerk(clerk_id="c0200", name="新人"), "12a4", by="admin")
    with pytest.raises(AuthError, match="已存在"):
        desk.add_clerk(Clerk(clerk_id="c0107", name="重名"), "4321", by="admin")


def test_five_wrong_pins_lock_for_five_minutes(desk, monkeypatch):
    for _ in range(4):
        with pytest.raises(AuthError):
            desk.authenticate("c0107", "0000")
    with pytest.raises(AuthError, match="锁定5分钟"):
        desk.authenticate("c0107", "0000")
    with pytest.raises(AuthError, match="已锁定"):
        desk.authenticate("c0107", "1234")  # even the right PIN
    assert desk.clerk("c0107").locked_until is not None
    later = now() + timedelta(minutes=5, seconds=1)
    monkeypatch.setattr(clerks, "now", lambda: later)
    assert desk.authenticate("c0107", "1234").locked_until is None


def test_new_pin_lifts_the_lock_and_disabled_clerks_cannot_log_in(desk):
    for _ in range(5):
        with pytest.raises(AuthError):
            desk.authenticate("c0107", "0000")
    desk.set_pin("c0107", "4321", by="admin")
    assert desk.authenticate("c0107", "4321")
    desk.set_disabled("c0107", True, by="admin")
    with pytest.raises(AuthError, match="已停用"):
        desk.authenticate("c0107", "4321")


def test_every_attempt_is_audited(desk):
    desk.authenticate("c0107", "1234")
    with pytest.raises(AuthError):
        desk.authenticate("c0107", "0000")
    actions = [e.action for e in desk.audit_entries(2)]
    assert actions == ["login.failed", "login"]
    assert desk.audit_entries(1)[0].detail["reason"].startswith("工号或PIN不正确")
