"""`clerk db check`'s second half: every stored row read back through the model it stands
for. A row that a model refuses would break listing for the clerk (a status the window does
not know, a name with a control character, a number SQLite cannot hold); the check names the
table, the row and the first problem, so the admin can act before a clerk meets it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pydantic
from sqlite_utils import Database

from offline import cases, clerks, outbox
from offline.models import Evaluation, ServiceItem
from offline.problems import first_problem

BATCH = 1000


def _case(row: dict[str, Any]) -> object:
    return cases.from_row(row)


def _operation(row: dict[str, Any]) -> object:
    return outbox._operation(row)


def _item(row: dict[str, Any]) -> object:
    return ServiceItem.model_validate_json(row["item"])


def _evaluation(row: dict[str, Any]) -> object:
    fields = {k: v for k, v in row.items() if k in Evaluation.model_fields}
    return Evaluation.model_validate({**fields, "comment": ""})


# table, the column that names a row for the admin, how to read it back
CHECKS: list[tuple[str, str, Callable[[dict[str, Any]], object]]] = [
    ("cases", "local_no", _case),
    ("operations", "op_id", _operation),
    ("catalog_items", "code", _item),
    ("clerks", "clerk_id", clerks.row_to_clerk),
    ("evaluations", "evaluation_id", _evaluation),
]
NAMES = {
    "cases": "办件",
    "operations": "操作",
    "catalog_items": "事项",
    "clerks": "工作人员",
    "evaluations": "评价",
}


def _rows(db: Database, table: str) -> Iterator[dict[str, Any]]:
    """Every row in rowid batches, so a million cases never sit in memory at once."""
    after = 0
    while True:
        batch = list(
            db.query(
                f"SELECT rowid AS _rowid, * FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT ?",
                [after, BATCH],
            )
        )
        if not batch:
            return
        yield from batch
        after = batch[-1]["_rowid"]


def problems(db: Database, limit: int = 50) -> list[str]:
    """One Chinese line per row that does not read back as its model (at most `limit`)."""
    found: list[str] = []
    for table, key, read in CHECKS:
        for row in _rows(db, table):
            try:
                read(row)
            except (pydantic.ValidationError, ValueError, TypeError, json.JSONDecodeError) as e:
                found.append(f"{NAMES[table]} {row.get(key)} 的数据不符合格式：{_first(e)}")
                if len(found) >= limit:
                    return found
    return found


def _first(error: Exception) -> str:
    if isinstance(error, pydantic.ValidationError):
        where, why = first_problem(error.errors())
        return f"{where}：{why}"[:200]
    return str(error)[:200]
