"""The catalog of service items: import, lookup, and search as the clerk types.

Search matches pinyin initials (`ylbx`), full pinyin (`yanglao`), Chinese (`养老`) or the item
code, in that order of preference; keys are computed once when an item is stored.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from sqlite_utils import Database

from offline.db import upsert, write
from offline.models import Catalog, ServiceItem
from usererror import UserError

DEMO_CATALOG = "demo_catalog.json"


def demo_catalog() -> Catalog:
    """The realistic demo catalog shipped with the package."""
    text = resources.files("offline.data").joinpath(DEMO_CATALOG).read_text("utf-8")
    return Catalog.model_validate_json(text)


def pinyin_keys(name: str) -> tuple[str, str]:
    """(initials, full pinyin) of a name, lower case, without separators."""
    from pypinyin import Style, lazy_pinyin  # its dictionaries take ~0.2 s to load

    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore"))
    full = "".join(lazy_pinyin(name, errors="ignore"))
    return initials.lower(), full.lower()


def row(item: ServiceItem) -> dict[str, Any]:
    initials, full = pinyin_keys(item.name)
    return {
        "code": item.code,
        "version": item.version,
        "name": item.name,
        "category": item.category,
        "initials": initials,
        "pinyin": full,
        "retired": 0,
        "item": item.model_dump_json(),
    }


def store_rows(db: Database, rows: list[dict[str, Any]]) -> None:
    """Insert or replace items (a code keeps every version it had); call inside `write`, with
    the rows (their pinyin keys) built before the write lock is taken."""
    upsert(db, "catalog_items", rows, ("code", "version"))


def retire(db: Database, code: str, version: int) -> None:
    with write(db):
        db.execute(
            "UPDATE catalog_items SET retired = 1 WHERE code = ? AND version = ?", [code, version]
        )


def _current_rows(db: Database) -> list[dict[str, Any]]:
    """The newest non-retired version of every code."""
    return list(
        db.query(
            """
            SELECT * FROM catalog_items AS c
            WHERE retired = 0 AND version = (
                SELECT MAX(version) FROM catalog_items
                WHERE code = c.code AND retired = 0)
            ORDER BY category, code
            """
        )
    )


def _item(row: dict[str, Any]) -> ServiceItem:
    return ServiceItem.model_validate_json(row["item"])


def items(db: Database, window_kind: str | None = None) -> list[ServiceItem]:
    found = [_item(row) for row in _current_rows(db)]
    return [i for i in found if window_kind is None or window_kind in i.window_kinds]


def get(db: Database, code: str, version: int | None = None) -> ServiceItem | None:
    """The given version of an item, or its newest current one."""
    args: list[str | int]
    if version is None:
        where, args = "code = ? AND retired = 0 ORDER BY version DESC LIMIT 1", [code]
    else:
        where, args = "code = ? AND version = ?", [code, version]
    rows = db.execute(f"SELECT item FROM catalog_items WHERE {where}", args).fetchall()
    return ServiceItem.model_validate_json(rows[0][0]) if rows else None


def rank(row: dict[str, Any], query: str) -> int | None:
    """Lower is better; None when the row does not match."""
    code, name = row["code"].lower(), row["name"]
    initials, full = row["initials"], row["pinyin"]
    tiers = (
        query == code,
        initials.startswith(query),
        name.startswith(query) or full.startswith(query),
        query in initials,
        query in name or query in full,
        query in code,
    )
    return next((tier for tier, hit in enumerate(tiers) if hit), None)


def _serial(code: str) -> str:
    """The catalog's order among equal matches: the code's last segment (its serial), since
    the segment before it is the item type (GG, GF, XK…), which says nothing of use."""
    return code.rsplit("-", 1)[-1].zfill(12)


def search(
    db: Database, text: str, window_kind: str | None = None, limit: int = 20
) -> list[ServiceItem]:
    """Items matching `text` by initials, pinyin, Chinese or code, best matches first."""
    query = "".join(text.split()).lower()
    if not query:
        return items(db, window_kind)[:limit]
    ranked = []
    for row in _current_rows(db):
        tier = rank(row, query)
        if tier is not None:
            ranked.append((tier, len(row["name"]), _serial(row["code"]), row["code"], row))
    ranked.sort(key=lambda entry: entry[:4])
    found = [_item(entry[4]) for entry in ranked]
    return [i for i in found if window_kind is None or window_kind in i.window_kinds][:limit]


class CatalogFileError(UserError, ValueError):
    """A catalog file that is not JSON; `str()` is the admin's message."""


def load_file(path: str) -> Catalog:
    """Read a catalog file: the platform's `GET /catalog` JSON, or a bare list of items."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CatalogFileError(f"目录文件不是有效的UTF-8 JSON：{error}") from None
    if isinstance(data, list):
        data = {"version": "imported", "items": data}
    return Catalog.model_validate(data)
