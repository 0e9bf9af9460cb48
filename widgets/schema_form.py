"""An item's form, built from its JSON Schema: one labelled field per property.

Strings with `enum` become a choice, numbers an input that only takes numbers; the schema
itself stays the judge (`offline.intake.check_form`), this widget only collects values.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select


class SchemaForm(Vertical):
    DEFAULT_CSS = """
    SchemaForm { height: auto; }
    SchemaForm Horizontal { height: auto; margin-bottom: 1; }
    SchemaForm Label { width: 14; height: auto; padding: 0 1 0 0; text-align: right; }
    SchemaForm Input, SchemaForm Select { width: 1fr; }
    """

    def __init__(self, schema: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.schema = schema
        self.required = set(schema.get("required", []))

    def compose(self) -> ComposeResult:
        for name, prop in self.schema.get("properties", {}).items():
            # the mark first, so a long title wraps without losing it
            title = ("*" if name in self.required else "") + prop.get("title", name)
            with Horizontal():
                yield Label(title)
                yield self._field(name, prop)

    def _field(self, name: str, prop: dict[str, Any]) -> Input | Select:
        if "enum" in prop:
            options = [(str(v), v) for v in prop["enum"]]
            return Select(options, compact=True, prompt="请选择", id=f"f-{name}", name=name)
        kind = {"number": "number", "integer": "integer"}.get(prop.get("type", ""), "text")
        return Input(compact=True, type=kind, id=f"f-{name}", name=name)  # type: ignore[arg-type]

    def raw(self) -> dict[str, Any]:
        """Each filled field as typed (for the intake's draft; not checked)."""
        out: dict[str, Any] = {}
        for field in self.query("Input, Select"):
            assert field.name is not None
            if isinstance(field, Select):
                if field.value is not Select.NULL:
                    out[field.name] = field.value
            elif isinstance(field, Input) and field.value:
                out[field.name] = field.value
        return out

    def fill(self, raw: dict[str, Any]) -> None:
        """Put back what `raw()` gave; a name the form no longer has is left out."""
        for field in self.query("Input, Select"):
            if field.name not in raw:
                continue
            if isinstance(field, Select):
                field.value = raw[field.name]
            elif isinstance(field, Input):
                field.value = str(raw[field.name])

    @property
    def values(self) -> dict[str, Any]:
        """What was filled in, typed as the schema says; empty fields are left out."""
        out: dict[str, Any] = {}
        for field in self.query("Input, Select"):
            assert field.name is not None
            prop = self.schema["properties"][field.name]
            if isinstance(field, Select):
                if field.value is not Select.NULL:
                    out[field.name] = field.value
                continue
            assert isinstance(field, Input)
            text = field.value.strip()
            if not text:
                continue
            kind = prop.get("type")
            try:
                out[field.name] = (
                    int(text) if kind == "integer" else float(text) if kind == "number" else text
                )
            except ValueError:
                out[field.name] = text  # the schema check names the field
        return out
