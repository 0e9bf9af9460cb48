"""What the desk shows at 80×24, read off the rendered screen: Chinese, nothing cut."""

from __future__ import annotations

import re

import pytest
from textual.containers import Vertical
from textual.widgets import Input, Select

from clerk.desk.dialogs import ChoiceDialog, EvaluationDialog, ResultDialog
from tests.ui.conftest import login, screen_lines, settle, until

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


NOTE = (
    "12-02 20:17 陈伟（c0108）：C001号约翰的录入已暂存，请继续；户口簿原件已核对，"
    "复印件两份在左边抽屉，回执待群众明天上午来取时签字确认"
)


def dialog_text(app) -> str:
    """The text inside the open dialog's box, its rows joined, spaces and borders left out."""
    box = app.screen.query_one(Vertical).region
    rows = app.screen._compositor.render_strips()[box.y : box.bottom]
    text = "".join(row.crop(box.x, box.right).text for row in rows)
    return re.sub(r"[\s█▀▄▔▁▊▎▏▕]", "", text)


@pytest.mark.parametrize("size", [SMALL, (120, 40)])
async def test_long_lines_in_dialogs_wrap_never_cut(make_app, size) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await login(pilot)
        numbers = "、".join(f"330212105-03-20261202-00{n}" for n in range(9, 13))
        dialogs = [
            ResultDialog("交接留言", [NOTE]),
            ResultDialog("已受理", [f"{numbers} 已受理，承诺2026年12月16日办结"]),
            EvaluationDialog(lambda _stop: None, numbers),
            ChoiceDialog("暂存", [("暂存并呼叫", "save")], NOTE),
        ]
        for dialog in dialogs:
            await app.push_screen(dialog)
            await settle(pilot)
            shown = dialog_text(app)
            for line in [NOTE, numbers, "承诺2026年12月16日办结"]:
                if line in str(dialog.__dict__):
                    assert "".join(line.split()) in shown, (size, shown)
            app.pop_screen()
            await settle(pilot)


@pytest.mark.parametrize(("size", "said"), [(SMALL, "顶岗·A岗李娜"), ((120, 40), "AB岗顶岗")])
async def test_the_header_says_a_backup_clerk_is_on_duty(make_app, size, said) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await login(pilot)
        await pilot.press("f12")
        await settle(pilot)
        app.screen.query_one("#clerk-id", Input).value = "c0108"  # the backup clerk
        await pilot.press(*"5678", "enter")
        await settle(pilot)
        header = screen_lines(app)[0]
        assert "陈伟（c0108）" in header and said in header and "李娜" in header, header


@pytest.mark.parametrize("size", [SMALL, (120, 40)])
async def test_the_status_bar_shows_every_device_from_the_start(make_app, size) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await login(pilot)
        devices = ("读卡器", "打印机", "扫描仪", "显示屏", "评价器")
        bar = await until(
            pilot,
            lambda: next((r for r in screen_lines(app) if all(d in r for d in devices)), None),
            timeout=30,
        )
        assert "当班" in bar, bar  # nothing cut at the end
