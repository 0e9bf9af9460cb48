"""The local store on real SQLite files: schema, durability settings, atomic case commits."""

from __future__ import annotations

import json
import stat
from datetime import date, datetime, timedelta

import pytest

from offline import outbox
from offline.clock import CN_TZ
from offline.db import open_db
from offline.intake import IntakeError
from offline.migrations import migrations
from offline.models import CaseMaterial, CaseQuery, Person, Refusal
from offline.store import Store
from tests.conftest import ZHANG, pension, received


def test_migrations_from_empty(tmp_path):
    db = open_db(tmp_path / "new.db")
    assert [m.name for m in migrations.applied(db)] == [
        "m001_foundation",
        "m002_window_desk",
        "m003_evaluation_followups",
        "m004_intake_drafts",
        "m005_sync_hardening",
        "m006_bundles",
        "m007_case_list_index",
    ]
    assert migrations.pending(db) == []
    assert {
        "cases",
        "operations",
        "local_no_seq",
        "catalog_items",
        "calendar_years",
        "clerks",
        "audit_log",
        "meta",
        "evaluations",
        "consultations",
        "handover_notes",
    } <= set(db.table_names())
    open_db(tmp_path / "new.db")  # applying again is a no-op
    assert len(migrations.applied(db)) == 7


def test_database_is_owner_only_with_durable_pragmas(store):
    store.accept(pension(), clerk_id="c0107")  # creates the WAL
    for suffix in ("", "-wal", "-shm"):
        mode = stat.S_IMODE(store.path.with_name(store.path.name + suffix).stat().st_mode)
        assert mode == 0o600, suffix
    pragma = lambda name: store.db.execute(f"PRAGMA {name}").fetchone()[0]  # noqa: E731
    assert pragma("journal_mode") == "wal"
    assert pragma("synchronous") == 2  # FULL
    assert pragma("foreign_keys") == 1
    assert pragma("busy_timeout") >= 5000


def test_accept_commits_case_operation_and_audit_together(store):
    case = store.accept(pension(), clerk_id="c0107")
    assert case.status == "accepted"
    assert case.local_no.startswith("330212105-03-") and case.local_no.endswith("-0001")
    [op] = store.operations(case.case_id)
    assert (op.type, op.seq, op.state) == ("case.accept", 1, "pending")
    assert op.payload["local_no"] == case.local_no
    assert op.payload["applicant"]["id_number"] == ZHANG
    assert [m["name"] for m in op.payload["materials"]] == ["申请人居民身份证", "户口簿"]
    [event] = store.audit_entries(1)
    assert (event.action, event.target, event.clerk_id) == ("case.accept", case.local_no, "c0107")
    assert store.case(case.local_no) == case


def test_failure_between_case_and_operation_leaves_nothing(store, monkeypatch):
    """Inject a failure after the case row is written and before its operation: neither stays,
    and the number that was reserved is not issued again."""

    def broken(*args, **kwargs):
        raise OSError("disk pulled out")

    before = len(store.audit_entries(1000))
    monkeypatch.setattr(outbox, "enqueue", broken)
    with pytest.raises(OSError):
        store.accept(pension(), clerk_id="c0107")
    assert store.search_cases(CaseQuery()) == []
    assert store.outbox_counts()["pending"] == 0
    assert len(store.audit_entries(1000)) == before
    monkeypatch.undo()
    case = store.accept(pension(), clerk_id="c0107")
    assert case.local_no.endswith("-0002")  # 0001 was reserved, never reused


def test_missing_allowed_material_gives_accepted_missing(store):
    case = store.accept(pension(missing=True), clerk_id="c0107")
    assert case.status == "accepted_missing"
    assert [m.code for m in case.missing] == ["M02"]


def test_required_material_absent_cannot_be_accepted(store):
    entry = pension().model_copy(update={"materials": [received("M02")]})
    with pytest.raises(IntakeError, match="缺少必需材料：申请人居民身份证"):
        store.accept(entry, clerk_id="c0107")


def test_missing_not_allowed_for_that_material(store):
    entry = pension().model_copy(
        update={
            "materials": [
                CaseMaterial(code="M01", name="", status="missing_allowed"),
                received("M02"),
            ]
        }
    )
    with pytest.raises(IntakeError, match="不允许容缺"):
        store.accept(entry, clerk_id="c0107")


def test_form_is_checked_against_the_item_schema(store):
    entry = pension().model_copy(update={"form": {"contribution_grade": "7元"}})
    with pytest.raises(IntakeError, match="缴费档次"):
        store.accept(entry, clerk_id="c0107")
    entry = pension().model_copy(update={"form": {"contribution_grade": "500元"}})
    with pytest.raises(IntakeError, match="银行账号”为必填项"):
        store.accept(entry, clerk_id="c0107")


def test_unknown_item_and_unknown_material(store):
    with pytest.raises(IntakeError, match="不存在"):
        store.accept(pension().model_copy(update={"item_code": "nope"}), clerk_id="c0107")
    entry = pension().model_copy(update={"materials": [received("M01"), received("M09")]})
    with pytest.raises(IntakeError, match="M09"):
        store.accept(entry, clerk_id="c0107")


def test_refusal_is_recorded_with_reason(store):
    refusal = Refusal(reason="不属于本中心受理范围", refer_to="区行政服务中心")
    case = store.refuse(pension(), refusal, clerk_id="c0107")
    assert case.status == "refused" and case.payload.promised_by is None
    [op] = store.operations(case.case_id)
    assert op.type == "case.reject"
    assert op.payload["reason"] == "不属于本中心受理范围"
    assert op.payload["refer_to"] == "区行政服务中心"
    assert op.payload["local_no"] == case.local_no


def test_promised_date_counts_workdays_from_the_day_after(store):
    at = datetime(2026, 9, 30, 10, 0, tzinfo=CN_TZ)  # the eve of National Day
    case = store.accept(pension(), clerk_id="c0107", at=at)
    # 8 workdays: 10-08, 10-09, 10-10 (调休 Saturday), 10-12 .. 10-16
    assert case.payload.promised_by == date(2026, 10, 16)
    assert case.payload.deadline_rule.count == 8
    assert case.deadline_verified


def test_synced_calendar_is_used_and_unknown_years_are_flagged(store):
    from offline.models import CalendarDay, CalendarYear

    at = datetime(2027, 2, 1, 10, 0, tzinfo=CN_TZ)  # a year the packaged calendar lacks
    case = store.accept(pension(), clerk_id="c0107", at=at)
    # by the statutory rule: 除夕 to 初三 (5-8 Feb) and two days of 补假 (9-10 Feb) are off
    assert (case.payload.promised_by, case.deadline_verified) == (date(2027, 2, 17), False)
    assert case.payload.deadline_rule.calendar_version == "statutory-rule-2024"
    store.store_calendar(
        CalendarYear(
            year=2027,
            version="2027-v1",
            days=[
                CalendarDay(date=date(2027, 2, d), workday=False, name="春节") for d in range(5, 12)
            ],
        )
    )
    case = store.accept(pension(), clerk_id="c0107", at=at)
    assert (case.payload.promised_by, case.deadline_verified) == (
        date(2027, 2, 18),
        True,
    )  # 2, 3, 4, 12, 15-18 Feb
    assert case.payload.deadline_rule.calendar_version == "2027-v1"
    reopened = Store(store.path, centre_code="330212105", window_no=3)
    assert reopened.calendar().is_workday(date(2027, 2, 8)) == (False, "2027-v1")


def test_source_ref_makes_a_recorded_case_idempotent(store):
    at = datetime(2026, 11, 20, 9, 0, tzinfo=CN_TZ)
    first = store.accept(pension(), clerk_id="c0107", at=at, source_ref="纸质登记簿-0001")
    again = store.accept(pension(), clerk_id="c0107", at=at, source_ref="纸质登记簿-0001")
    assert again == first
    assert len(store.search_cases(CaseQuery())) == 1
    assert first.local_no.startswith("330212105-03-20261120-")


def test_org_applicant_needs_credit_code():
    org = Person(
        kind="org", name="示范镇农机专业合作社", id_type="uscc", id_number="91350100m000100y43"
    )
    assert org.id_number == "91350100M000100Y43"
    with pytest.raises(ValueError, match="统一社会信用代码"):
        Person(kind="org", name="某合作社", id_type="resident_id", id_number=ZHANG)


def _fill(store: Store) -> dict[str, str]:
    base = datetime(2026, 11, 2, 9, 0, tzinfo=CN_TZ)
    people = [("张三", ZHANG), ("张三丰", "11010519491231002X"), ("李四", "440524188001010014")]
    nos = {}
    for n, (name, number) in enumerate(people):
        case = store.accept(
            pension(name, number, missing=n == 1), clerk_id="c0107", at=base + timedelta(days=n)
        )
        nos[name] = case.local_no
    return nos


def test_search_by_number_id_name_status_and_dates(store):
    nos = _fill(store)

    def found(**query):
        return [c.payload.applicant.name for c in store.search_cases(CaseQuery(**query))]

    assert found(text=nos["李四"]) == ["李四"]
    assert found(text="11010519491231002x") == ["张三丰"]  # ID number, any case of X
    assert found(text="张三") == ["张三丰", "张三"]  # name prefix, newest first
    assert found(text="李") == ["李四"]
    assert found(status=["accepted_missing"]) == ["张三丰"]
    assert found(accepted_from=date(2026, 11, 3), accepted_to=date(2026, 11, 3)) == ["张三丰"]
    assert found(text="张", accepted_to=date(2026, 11, 2)) == ["张三"]
    assert found(text="王") == []


def test_search_uses_indexes_only(store):
    _fill(store)
    plan = store.db.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM cases WHERE (local_no = ?1 OR official_no = ?1 OR"
        " applicant_id_number = ?1 OR agent_id_number = ?1 OR (applicant_name >= ?1 AND"
        " applicant_name < ?2)) ORDER BY accepted_at DESC LIMIT 50",
        ["x", "y"],
    ).fetchall()
    details = " ".join(row[-1] for row in plan)
    assert "SCAN cases" not in details, details


def test_operations_are_numbered_per_case(store):
    a = store.accept(pension(), clerk_id="c0107")
    b = store.accept(pension("李四", "440524188001010014"), clerk_id="c0107")
    assert [op.seq for op in store.operations(a.case_id)] == [1]
    assert [op.seq for op in store.operations(b.case_id)] == [1]
    assert store.outbox_counts() == {"pending": 2, "in_flight": 0, "acked": 0, "quarantined": 0}


def test_backup_is_a_consistent_owner_only_copy(store, tmp_path):
    case = store.accept(pension(), clerk_id="c0107")
    dest = tmp_path / "backup" / "copy.db"
    dest.parent.mkdir()
    store.backup(dest)
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    copy = Store(dest, centre_code="330212105", window_no=3)
    assert copy.case(case.local_no) == case
    assert copy.verify_audit().ok
    with pytest.raises(FileExistsError):
        store.backup(dest)


def test_integrity_check_reports_loose_file_mode(store):
    assert store.integrity_problems() == []
    store.path.chmod(0o644)
    [problem] = store.integrity_problems()
    assert "644" in problem


def test_db_check_reads_every_row_back_through_its_model(store):
    case = store.accept(pension(), clerk_id="c0107")
    assert store.integrity_problems() == []
    store.db.conn.execute(
        "UPDATE cases SET status = 'hacked_status' WHERE case_id = ?", [case.case_id]
    )
    bad_name = json.dumps({**case.payload.model_dump(mode="json")} | {"ticket": "C\x1b[31m"})
    other = store.accept(pension(), clerk_id="c0107")
    store.db.conn.execute(
        "UPDATE cases SET payload = ? WHERE case_id = ?", [bad_name, other.case_id]
    )
    problems = store.integrity_problems()
    assert len(problems) == 2
    assert problems[0].startswith(f"办件 {case.local_no} 的数据不符合格式：status")
    assert "控制字符" in problems[1]


def test_db_check_reads_clerks_as_the_login_list_does(store):
    from offline.models import Clerk

    store.add_clerk(Clerk(clerk_id="c0201", name="王五", role="clerk"), "2468", by="admin")
    store.add_clerk(Clerk(clerk_id="c0202", name="赵六", role="clerk"), "2468", by="admin")
    store.db.conn.execute("UPDATE clerks SET locked_until = '2026-13-01' WHERE clerk_id = 'c0202'")
    [problem] = store.integrity_problems()
    assert problem.startswith("工作人员 c0202 的数据不符合格式")
    with pytest.raises(ValueError):  # the same row breaks the list a clerk would see
        store.clerks()
    store.db.conn.execute("UPDATE clerks SET locked_until = NULL WHERE clerk_id = 'c0202'")
    assert [c.name for c in store.clerks() if c.clerk_id.startswith("c02")] == ["王五", "赵六"]
    assert store.integrity_problems() == []


def test_a_purged_case_is_a_flag_not_a_magic_id_number(store):
    from offline.models import PURGED

    with pytest.raises(ValueError, match=r"校验位|18位"):
        Person(name="张三", id_type="resident_id", id_number=PURGED)
    case = store.accept(pension(), clerk_id="c0107")
    store.db.conn.execute("UPDATE cases SET status = 'closed' WHERE case_id = ?", [case.case_id])
    store.db.conn.execute("UPDATE operations SET state = 'acked'")
    assert store.purge_personal_data(0, by="retention") == 1
    gone = store.case(case.case_id)
    assert gone.purged and gone.payload.applicant.id_number == PURGED
    assert store.integrity_problems() == []


def test_control_and_bidi_characters_are_refused_in_every_text_field():
    for bad in ("张\x1b[31m三\x00\n", "张\u202e三", "张\u200b三"):
        with pytest.raises(ValueError, match="控制字符"):
            Person(name=bad, id_type="resident_id", id_number=ZHANG)
    with pytest.raises(ValueError, match="控制字符"):
        CaseMaterial(code="M01", name="身份证\x07", status="received")
    assert Refusal(reason="材料不全\n请补齐").reason.count("\n") == 1  # a note may have lines
    with pytest.raises(ValueError, match="控制字符"):
        Refusal(reason="材料不全\x1b")
    with pytest.raises(ValueError, match="控制字符"):
        type(pension()).model_validate({**pension().model_dump(), "form": {"x\x1b": "y"}})
