"""The durable 受理 commit builds its operation and audit event from its own data without
validating them again: what it returns is what a validated read of the file gives back."""

from __future__ import annotations

from offline import audit, outbox
from offline.db import write
from offline.models import AuditEvent, Operation
from tests.conftest import pension


def test_the_built_operation_is_the_one_read_back(store):
    case = store.accept(pension(), clerk_id="c0107")
    [stored] = store.operations(case.case_id)
    with write(store.db):
        built = outbox.enqueue(
            store.db,
            case.case_id,
            "case.accept",
            stored.payload,
            at=stored.at,
            clerk_id="c0107",
            window_no=3,
        )
    read = next(op for op in store.operations(case.case_id) if op.op_id == built.op_id)
    assert Operation.model_validate(built.model_dump()) == read == built
    assert read.seq == 2


def test_the_built_audit_event_is_the_one_read_back(store):
    with write(store.db):
        built = audit.append(
            store.db,
            clerk_id="c0107",
            window_no=3,
            action="case.accept",
            target="330212105-03-20261202-0001",
            detail={"item": "x", "who": "张三 330212198001011238", "n": [1, {"k": "v"}]},
        )
    [read] = audit.entries(store.db, limit=1)
    assert AuditEvent.model_validate(built.model_dump()) == read == built
    assert "330212198001011238" not in str(built.detail)  # masked before it was written
    assert store.verify_audit().ok
