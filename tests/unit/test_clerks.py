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
    with pytest.raises(AuthError) as known:
        desk.authenticate("c0107", "9999")
    with pytest.raises(AuthError) as unknown:
        desk.authenticate("nobody", "1234")
    assert str(known.value) == str(unknown.value) == "工号或PIN不正确"  # the same answer
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


def test_unknown_and_known_ids_do_the_same_work(desk, monkeypatch):
    """The same scrypt work either way, so the answer's time tells nothing (no timing
    threshold here: the work itself is counted)."""
    calls: list[int] = []
    real = clerks.hashlib.scrypt

    def counted(*args, **kwargs):
        calls.append(kwargs["n"])
        return real(*args, **kwargs)

    monkeypatch.setattr(clerks.hashlib, "scrypt", counted)
    for clerk_id in ("c0107", "nobody"):
        with pytest.raises(AuthError):
            desk.authenticate(clerk_id, "9999")
    assert calls == [clerks._N, clerks._N]


def test_the_lockout_doubles_with_each_further_failure(desk, monkeypatch):
    at = [now()]
    monkeypatch.setattr(clerks, "now", lambda: at[0])
    spans = []
    for _ in range(9):
        with pytest.raises(AuthError):
            desk.authenticate("c0107", "0000")
        locked = desk.clerk("c0107").locked_until
        if locked and locked > at[0]:
            spans.append(round((locked - at[0]).total_seconds() / 60))
            at[0] = locked + timedelta(seconds=1)  # wait it out, then guess again
    assert spans == [5, 10, 20, 40, 80]
    assert clerks.lockout(40) == clerks.MAX_LOCKOUT
    assert desk.authenticate("c0107", "1234").name == "李娜"  # a right PIN resets the count
    with pytest.raises(AuthError, match=r"^工号或PIN不正确$"):
        desk.authenticate("c0107", "0000")
