"""送达方式, chosen at intake: 窗口自取, 邮寄送达 (address and phone), or 当场办结 (即办件 only).

The address is prefilled from the applicant's card when 邮寄 is chosen; the model
(`offline.models.Delivery`) is the judge of what is complete.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select

from offline.models import DELIVERY_METHOD_NAMES, Delivery


class DeliveryChooser(Vertical):
    DEFAULT_CSS = """
    DeliveryChooser { height: auto; }
    DeliveryChooser Horizontal { height: 1; margin-bottom: 1; }
    DeliveryChooser Label { width: 10; padding: 0 1 0 0; text-align: right; }
    DeliveryChooser Select { width: 16; }
    DeliveryChooser Input { width: 1fr; }
    DeliveryChooser .post { display: none; }
    DeliveryChooser.by-post .post { display: block; }
    """

    def __init__(
        self,
        instant: bool,
        defaults: Callable[[], tuple[str, str]] = lambda: ("", ""),
        **kwargs: Any,
    ) -> None:
        """`defaults` gives the applicant's (address, phone) as typed or read from the card
        when 邮寄 is chosen."""
        super().__init__(**kwargs)
        self.instant = instant
        self.defaults = defaults

    def compose(self) -> ComposeResult:
        options = [
            (name, method)
            for method, name in DELIVERY_METHOD_NAMES.items()
            if method != "on_the_spot" or self.instant
        ]
        with Horizontal():
            yield Label("送达方式")
            yield Select(
                options, compact=True, value="pickup", allow_blank=False, id="delivery-method"
            )
        with Horizontal(classes="post"):
            yield Label("邮寄地址")
            yield Input(compact=True, id="delivery-address", max_length=200)
        with Horizontal(classes="post"):
            yield Label("联系电话")
            yield Input(compact=True, id="delivery-phone", max_length=13)

    @on(Select.Changed, "#delivery-method")
    def method_changed(self, event: Select.Changed) -> None:
        post = event.value == "post"
        self.set_class(post, "by-post")
        if not post:
            return
        for field, value in zip(("address", "phone"), self.defaults(), strict=True):
            found = self.query_one(f"#delivery-{field}", Input)
            found.value = found.value or value

    def delivery(self) -> Delivery:
        method = str(self.query_one("#delivery-method", Select).value)
        if method != "post":
            return Delivery(method=method)  # type: ignore[arg-type]
        return Delivery(
            method="post",
            address=self.query_one("#delivery-address", Input).value.strip() or None,
            phone=self.query_one("#delivery-phone", Input).value.strip() or None,
        )
