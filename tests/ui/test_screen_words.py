"""What the desk shows at 80×24, read off the rendered screen: Chinese, nothing cut."""

from __future__ import annotations

import re

import pytest
from textual.widgets import Select

from tests.ui.conftest import login, screen_lines, settle

pytestmark = pytest.mark.anyio

SMALL = (80, 24)


async def test_an_open_list_s_footer_is_chinese(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await login(pilot)
        app.screen.query_one("#applicant-id-type", Select).focus()
        await pilot.press("enter")  # the list opens: Textual's own `esc` binding shows
        await settle(pilot)
        footer = screen_lines(app)[-1]
        words = re.findall(r"[A-Za-z]{3,}", footer)
        assert "收起列表" in footer and set(words) <= {"esc"}, footer  # key names may be English
