"""Date fields of an item's form are real calendar dates, and a birth date is not in the future."""

from __future__ import annotations

from datetime import timedelta

import pytest

from offline.clock import now
from offline.intake import Intake, IntakeError, check_form, form_problems
from tests.conftest import person

BIRTH = "330212105-GG-0037"  # 出生医学证明: child_birth_date, a pattern-only date field


def _form(birth: str) -> dict[str, str]:
    return {
        "child_name": "张小明",
        "child_gender": "男",
        "child_birth_date": birth,
        "relation": "父亲",
    }


@pytest.mark.parametrize("bad", ["2026-13-45", "2025-02-30", "2024-00-10", "0000-01-01"])
def test_impossible_date_is_refused_in_chinese_naming_the_field(store, bad):
    item = store.item(BIRTH)
    assert form_problems(item, _form(bad)) == {"child_birth_date": "表单“出生日期”不是有效的日期"}
    with pytest.raises(IntakeError, match="出生日期"):
        check_form(item, _form(bad))


def test_birth_date_in_the_future_is_refused(store):
    item = store.item(BIRTH)
    tomorrow = (now().date() + timedelta(days=1)).isoformat()
    assert form_problems(item, _form(tomorrow)) == {
        "child_birth_date": "表单“出生日期”不能晚于今天"
    }
    assert form_problems(item, _form(now().date().isoformat())) == {}
    assert form_problems(item, _form("2024-02-29")) == {}


def test_a_date_field_marked_by_format_is_checked_too(store):
    item = store.item(BIRTH)
    schema = {
        "type": "object",
        "properties": {"expected_date": {"type": "string", "title": "预产期", "format": "date"}},
    }
    item = item.model_copy(update={"form": schema})
    assert form_problems(item, {"expected_date": "2026-02-30"}) == {
        "expected_date": "表单“预产期”不是有效的日期"
    }
    future = (now().date() + timedelta(days=200)).isoformat()
    assert form_problems(item, {"expected_date": future}) == {}  # not a birth date: may be ahead


def test_a_bad_date_is_refused_when_the_case_is_saved(store):
    entry = Intake(item_code=BIRTH, applicant=person(), form=_form("2026-13-45"))
    with pytest.raises(IntakeError, match="出生日期”不是有效的日期"):
        store.accept(entry, clerk_id="c0107")
    assert store.db.execute("SELECT COUNT(*) FROM cases").fetchone()[0] == 0


def test_the_platform_rejects_an_accepted_case_whose_date_is_impossible(store, tmp_path):
    """The reference platform judges the form as the window does: an accepted case with an
    impossible date is rejected (`schema`); a refused one needs no valid form."""
    from offline.platform.store import PlatformStore
    from tests.conftest import PENSION, pension

    remote = PlatformStore(tmp_path / "platform.db")
    schema = {"type": "object", "properties": {"start": {"title": "起始日期", "format": "date"}}}
    remote.items[PENSION] = store.item(PENSION).model_copy(update={"form": schema})
    remote.add_device("win-03", "330212105")
    case = store.accept(pension(), clerk_id="c0107")
    [op] = [o.model_dump(mode="json") for o in store.operations(case.case_id)]
    op["payload"]["form"] = {"start": "2026-02-30"}
    [result] = remote.apply_ops("win-03", "330212105", [op])
    assert (result["result"], result["code"]) == ("rejected", "schema")
    assert result["message"] == "表单“起始日期”不是有效的日期"
    op["payload"]["form"] = {"start": "2026-02-28"}
    [result] = remote.apply_ops("win-03", "330212105", [op])
    assert result["result"] == "applied"
