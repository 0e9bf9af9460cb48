"""Intake drafts in the store: newer revisions win, a decided draft never comes back, and the
draft ends in the same transaction as the case it became."""

from __future__ import annotations

import pytest

from offline.clock import now
from offline.intake import IntakeError
from offline.models import Draft, DraftPerson
from offline.store import Store
from tests.conftest import pension


def draft(revision: int, name: str = "王小明", draft_id: str = "d1") -> Draft:
    return Draft(
        draft_id=draft_id,
        window_no=3,
        clerk_id="c0107",
        revision=revision,
        saved_at=now(),
        applicant=DraftPerson(name=name),
    )


def test_a_late_older_save_does_not_overwrite_a_newer_one(store: Store) -> None:
    assert store.save_draft(draft(2, "王小明"))
    assert not store.save_draft(draft(1, "王小"))  # arrived late
    assert [d.applicant.name for d in store.drafts()] == ["王小明"]


def test_a_draft_ends_with_its_case_and_a_late_save_does_not_bring_it_back(
    store: Store, tmp_path
) -> None:
    store.save_draft(draft(1))
    store.save_draft(draft(1, draft_id="other"))
    case = store.accept(pension(), clerk_id="c0107", draft_id="d1")
    assert [d.draft_id for d in store.drafts()] == ["other"]
    assert not store.save_draft(draft(9))  # a save still on its way when 受理 committed
    assert store.draft("d1") is None
    reopened = Store(tmp_path / "clerk.db", centre_code="330212105", window_no=3)
    assert [d.draft_id for d in reopened.drafts()] == ["other"]
    assert reopened.case(case.case_id) is not None
    reopened.close()


def test_a_refused_intake_does_not_end_its_draft_when_the_case_is_not_written(
    store: Store,
) -> None:
    store.save_draft(draft(1))
    bad = pension().model_copy(update={"item_code": "no-such-item"})
    with pytest.raises(IntakeError):
        store.accept(bad, clerk_id="c0107", draft_id="d1")
    assert [d.draft_id for d in store.drafts()] == ["d1"]  # nothing typed is lost


def test_other_windows_drafts_are_not_offered(store: Store, tmp_path) -> None:
    store.save_draft(draft(1).model_copy(update={"window_no": 5}))
    assert store.drafts() == []
