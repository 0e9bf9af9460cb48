"""The materials checklist of an item: for each material, what the clerk saw.

Each row offers the statuses the item allows (容缺 only where `allow_missing` names the
material), the original checked, the number of copies, and the scans attached. The row with
focus is the one `F10` scans into.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Checkbox, Input, Label, Select

from offline.models import CaseMaterial, DraftMaterial, MaterialSpec, ServiceItem

NOT_RECEIVED = "none"
STATUS_LABELS = [
    ("已收取", "received"),
    ("电子证照", "electronic"),
    ("容缺", "missing_allowed"),
    ("未收", NOT_RECEIVED),
]


class MaterialRow(Horizontal):
    DEFAULT_CSS = """
    MaterialRow { height: auto; margin-bottom: 1; }
    MaterialRow .name { width: 1fr; height: auto; padding: 0 1 0 0; }
    MaterialRow Select { width: 14; }
    MaterialRow Checkbox { width: 10; }
    MaterialRow Input { width: 4; }
    MaterialRow .scans { width: 8; padding: 0 0 0 1; }
    """

    def __init__(self, spec: MaterialSpec, may_be_missing: bool) -> None:
        super().__init__(id=f"m-{spec.code}")
        self.spec = spec
        self.may_be_missing = may_be_missing
        self.attachments: list[str] = []
        self.pages = 0

    def compose(self) -> ComposeResult:
        mark = "*" if self.spec.required else ""
        yield Label(f"{mark}{self.spec.name}", classes="name")
        options = [
            (label, value)
            for label, value in STATUS_LABELS
            if value != "missing_allowed" or self.may_be_missing
        ]
        # unmarked until the clerk has looked: 受理 waits for every required one
        yield Select(options, compact=True, prompt="请标记", classes="status")
        yield Checkbox("原件", compact=True, value=bool(self.spec.original), classes="original")
        yield Input(
            str(self.spec.copies or self.spec.photos),
            compact=True,
            type="integer",
            classes="copies",
            max_length=2,
        )
        yield Label("", classes="scans")

    def add_scan(self, sha256: str, pages: int) -> None:
        self.attachments.append(sha256)
        self.pages += pages
        self.query_one(".scans", Label).update(f"扫描{self.pages}页")

    @property
    def status(self) -> str:
        """The mark; an unmarked row counts as 未收."""
        value = self.query_one(".status", Select).value
        return NOT_RECEIVED if value is Select.NULL else str(value)

    @property
    def marked(self) -> bool:
        return self.query_one(".status", Select).value is not Select.NULL

    def draft(self) -> DraftMaterial:
        """The row as marked, for the intake's draft."""
        value = self.query_one(".status", Select).value
        return DraftMaterial(
            code=self.spec.code,
            status=None if value is Select.NULL else str(value),
            original=self.query_one(".original", Checkbox).value,
            copies=self.query_one(".copies", Input).value,
            attachments=list(self.attachments),
            pages=self.pages,
        )

    def restore(self, saved: DraftMaterial) -> None:
        """Mark the row as the draft had it."""
        select = self.query_one(".status", Select)
        select.value = saved.status if saved.status else Select.NULL
        self.query_one(".original", Checkbox).value = saved.original
        self.query_one(".copies", Input).value = saved.copies
        self.attachments, self.pages = list(saved.attachments), saved.pages
        self.query_one(".scans", Label).update(f"扫描{self.pages}页" if self.pages else "")

    def material(self) -> CaseMaterial | None:
        if self.status == NOT_RECEIVED:
            return None
        copies = self.query_one(".copies", Input).value.strip()
        received = self.status in ("received", "electronic")
        return CaseMaterial(
            code=self.spec.code,
            name=self.spec.name,
            status=self.status,  # type: ignore[arg-type]
            original_checked=received and self.query_one(".original", Checkbox).value,
            copies=int(copies) if copies.isdigit() and received else 0,
            attachments=list(self.attachments),
        )


class MaterialsChecklist(Vertical):
    DEFAULT_CSS = "MaterialsChecklist { height: auto; }"

    def __init__(self, item: ServiceItem, only: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.item = item
        self.only = only

    def compose(self) -> ComposeResult:
        for spec in self.item.materials:
            if self.only is None or spec.code in self.only:
                yield MaterialRow(spec, spec.code in self.item.allow_missing)

    @property
    def rows(self) -> list[MaterialRow]:
        return list(self.query(MaterialRow))

    def focused_row(self) -> MaterialRow | None:
        focused = self.app.focused
        for row in self.rows:
            if focused is not None and (focused is row or row in focused.ancestors):
                return row
        return self.rows[0] if self.rows else None

    def materials(self) -> list[CaseMaterial]:
        return [m for row in self.rows if (m := row.material()) is not None]

    def missing(self) -> list[MaterialSpec]:
        """Required materials not received (for 一次性告知)."""
        return [row.spec for row in self.rows if row.spec.required and row.status == NOT_RECEIVED]

    def first_unmarked(self) -> MaterialRow | None:
        """The first required material the clerk has not marked yet."""
        return next((r for r in self.rows if r.spec.required and not r.marked), None)
