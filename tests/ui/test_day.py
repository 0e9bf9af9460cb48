"""A day at the window, driven with keys as the clerk would."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, Select

from clerk import demo as demo_data
from clerk.desk.cases import CaseScreen
from clerk.desk.desk_screen import DeskScreen
from clerk.desk.dialogs import EvaluationDialog, RefuseDialog, ResultDialog
from clerk.desk.intake import IntakePanel
from clerk.services import Services
from devices.printer.decode import decode
from offline.models import CaseQuery
from tests.ui.conftest import login, open_case, settle, shown, until
from widgets.materials import MaterialRow

pytestmark = pytest.mark.anyio
SIZE = (120, 40)


async def test_call_card_item_accept_receipt_and_rating(make_app, services: Services) -> None:
    hall = services.hall()
    hall.issue("general")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        assert isinstance(app.screen, DeskScreen)
        await pilot.press("f1")
        await settle(pilot)
        assert hall.view(3).current.number == "C001"
        assert shown(services) == "C001 请到3号窗口"

        services.idcard_simulator.place(0)  # the citizen's card on the reader
        panel = app.screen.query_one(IntakePanel)
        await until(pilot, lambda: panel.query_one("#applicant-name", Input).value)
        assert app.focused.id == "item-search"

        await pilot.press(*"GG-0012", "enter")
        await settle(pilot)
        assert panel.item and panel.item.code == "330212105-GG-0012"
        panel.query_one("#f-contribution_grade", Select).value = "500元"
        panel.query_one("#f-bank_account", Input).value = "6228480012345678901"
        mark(panel, "M01", "received")
        mark(panel, "M02", "received")

        panel.query_one("#m-M01 Select").focus()
        await pilot.press("f10")  # scan the ID card copy with SANE's test backend
        await until(pilot, lambda: panel.query_one("#m-M01", MaterialRow).attachments, timeout=60)

        await pilot.click("#accept")
        await settle(pilot)
        assert isinstance(app.screen, ResultDialog)
        case = services.store.search_cases(CaseQuery(text="张三"))[0]  # newest first
        assert case.status == "accepted"
        assert case.payload.ticket == "C001"
        assert case.payload.materials[0].attachments
        receipt = decode(services.printer_simulator.wait_jobs(1)[-1]).text
        assert "受理回执" in receipt and case.local_no in receipt
        assert "3302**********1238" in receipt

        await pilot.press("enter")  # close the result: the evaluator lights up
        await settle(pilot)
        assert isinstance(app.screen, EvaluationDialog)
        assert services.evaluator_simulator is not None
        assert services.evaluator_simulator.asked()
        services.evaluator_simulator.press(1)
        await until(pilot, lambda: isinstance(app.screen, DeskScreen), timeout=5)
        await settle(pilot)
        evaluation = services.store.evaluation(case.case_id)
        assert evaluation and evaluation.level == "very_satisfied"
        assert evaluation.clerk_id == "c0107"


async def card_on_reader(pilot, services: Services, card: int = 0) -> IntakePanel:
    """A sample card on the reader: the intake with the applicant filled in."""
    panel = pilot.app.screen.query_one(IntakePanel)
    services.idcard_simulator.place(card)
    await until(pilot, lambda: panel.query_one("#applicant-name", Input).value)
    return panel


async def fill_pension(pilot, panel: IntakePanel, *, missing: bool = False) -> None:
    """The clerk picks the pension item by its code, fills its form and marks the materials."""
    panel.query_one("#item-search", Input).focus()
    await pilot.press(*"GG-0012", "enter")
    await settle(pilot)
    panel.query_one("#f-contribution_grade", Select).value = "300元"
    panel.query_one("#f-bank_account", Input).value = "6228480098765432109"
    mark(panel, "M01", "received")
    mark(panel, "M02", "missing_allowed" if missing else "received")
    await pilot.pause()


def mark(panel: IntakePanel, code: str, status: str) -> None:
    panel.query_one(f"#m-{code} Select", Select).value = status


async def test_missing_material_then_correction_then_delivery(make_app, services: Services) -> None:
    world = demo_data.DemoHall(services.home, advance_every=3600, ticket_every=3600)
    world.enrol(services.settings)
    app = make_app()
    try:
        async with app.run_test(size=SIZE) as pilot:
            await login(pilot)
            panel = app.screen.query_one(IntakePanel)
            services.idcard_simulator.place(1)  # a walk-in, no ticket
            await until(pilot, lambda: panel.query_one("#applicant-name", Input).value)
            await fill_pension(pilot, panel, missing=True)
            await pilot.press("ctrl+s")
            await settle(pilot)
            case = services.store.search_cases(CaseQuery(status=["accepted_missing"]))[0]
            assert case.payload.ticket is None
            receipt = decode(services.printer_simulator.wait_jobs(1)[-1]).text
            assert "容缺" in receipt and "户口簿" in receipt
            await pilot.press("enter")
            await settle(pilot)
            await pilot.click("#none")  # the citizen left without rating
            await settle(pilot)
            assert services.store.evaluation(case.case_id).level is None

            # days later the citizen brings the 户口簿 (补正)
            await open_case(pilot, case.local_no)
            assert isinstance(app.screen, CaseScreen)
            await pilot.click("#correction")
            await settle(pilot)
            await pilot.click("#ok")  # nothing marked yet: nothing is taken as brought
            await settle(pilot)
            assert "请至少收取一项材料" in str(app.screen.query_one(".error").render())
            app.screen.query_one("#m-M02 Select", Select).value = "received"
            await pilot.click("#ok")  # the 补正 is recorded in a worker, after the dialog
            await until(pilot, lambda: services.store.case(case.case_id).status == "accepted")
            assert len(services.printer_simulator.wait_jobs(2)) == 2

            # the back office decides; the result is handed out at the window (出件)
            app.desk.sync_once()
            world.platform.advance()
            world.platform.advance()
            app.desk.sync_once()
            assert services.store.case(case.case_id).status == "ready_for_pickup"
            app.screen.reload()
            await settle(pilot)
            await pilot.click("#deliver")
            await settle(pilot)
            services.idcard_simulator.lift()
            services.idcard_simulator.place(0)  # the receiver's card: her neighbour
            dialog = app.screen
            await until(pilot, lambda: dialog.query_one("#receiver-name", Input).value)
            await pilot.click("#ok")  # not the applicant: a proxy needs its 委托书 checked
            await settle(pilot)
            assert "授权委托书" in str(dialog.query_one(".error").render())
            assert services.store.case(case.case_id).status == "ready_for_pickup"
            await pilot.click("#proxy")
            await pilot.click("#ok")
            await settle(pilot)
            assert services.store.case(case.case_id).status == "delivered"
            [handed] = [
                e for e in services.store.timeline(case.case_id) if e.action == "case.deliver"
            ]
            assert handed.detail["proxy"] is True
            slip = decode(services.printer_simulator.wait_jobs(3)[-1]).text
            assert "出件回执" in slip
            actions = [e.action for e in services.store.timeline(case.case_id)]
            assert actions[:1] == ["case.accept"]
            assert {"evaluation.none", "case.correction_received", "case.deliver"} <= set(actions)
            assert "platform.status" in actions
    finally:
        world.close()


async def test_refusal_prints_its_notice(make_app, services: Services) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        panel = await card_on_reader(pilot, services, 0)
        await fill_pension(pilot, panel)
        await pilot.press("ctrl+r")
        await settle(pilot)
        await pilot.press(*"不在本辖区", "tab", *"户籍地便民服务中心")
        await pilot.click("#ok")
        await settle(pilot)
        case = services.store.search_cases(CaseQuery(status=["refused"]))[0]
        assert case.refusal and case.refusal.refer_to == "户籍地便民服务中心"
        notice = decode(services.printer_simulator.wait_jobs(1)[-1]).text
        assert "不予受理通知书" in notice and "不在本辖区" in notice


async def test_refusal_needs_who_and_the_item_not_a_complete_form(make_app, services) -> None:
    """Someone not eligible is refused without the form's required fields (银行账号 empty);
    without an applicant there is nothing to refuse, and the focus goes there."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        panel = app.screen.query_one(IntakePanel)
        panel.query_one("#item-search", Input).focus()
        await pilot.press(*"GG-0012", "enter")
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert not isinstance(app.screen, RefuseDialog)
        assert app.focused is panel.query_one("#applicant-name", Input)
        panel = await card_on_reader(pilot, services, 0)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert isinstance(app.screen, RefuseDialog)
        await pilot.press(*"不符合领取条件")
        await pilot.click("#ok")
        await settle(pilot)
        refused = services.store.search_cases(CaseQuery(status=["refused"]))
        [case] = [c for c in refused if c.refusal and c.refusal.reason == "不符合领取条件"]
        assert "bank_account" not in case.payload.form
        assert "不予受理通知书" in decode(services.printer_simulator.wait_jobs(1)[-1]).text


async def test_bad_check_digit_is_refused_in_chinese_and_nothing_is_saved(
    make_app, services: Services
) -> None:
    before = len(services.store.search_cases_all())
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        panel = app.screen.query_one(IntakePanel)
        panel.query_one("#applicant-name", Input).value = "王五"
        panel.query_one("#applicant-id-number", Input).value = "330212198001011239"
        await fill_pension(pilot, panel)
        await pilot.press("ctrl+s")
        await settle(pilot)
        shown = [n.message for n in app._notifications]
        assert any("校验位" in m for m in shown), shown
        assert panel.query_one("#applicant-name", Input).value == "王五"  # nothing lost
    assert len(services.store.search_cases_all()) == before


async def test_item_search_enter_takes_the_best_match_down_picks_another(
    make_app, services: Services
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        panel = app.screen.query_one(IntakePanel)
        results = panel.query_one("#item-results")
        panel.query_one("#item-search", Input).focus()
        await pilot.press(*"ylbx")
        await settle(pilot)
        names = [results.get_option_at_index(i).prompt for i in range(results.option_count)]
        assert len(names) >= 2 and all("保险" in n for n in names)
        await pilot.press("down", "down", "enter")  # into the list, one down, take it
        await settle(pilot)
        assert panel.item and panel.item.name == names[1].split()[0]
        await pilot.press("ctrl+n")  # a new applicant: asked, then a cleared search lists nothing
        await settle(pilot)
        await pilot.click("ChoiceDialog Button")  # 清空（不保存）
        await settle(pilot)
        assert panel.item is None and results.option_count == 0


async def test_item_search_enter_takes_the_pension_registration_and_says_when_nothing_found(
    make_app, services: Services
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        panel = app.screen.query_one(IntakePanel)
        panel.query_one("#item-search", Input).focus()
        await pilot.press(*"zzzq", "enter")
        await settle(pilot)
        assert panel.item is None
        assert "没有找到匹配的事项" in [n.message for n in app._notifications]
        panel.query_one("#item-search", Input).value = ""
        await pilot.press(*"ylbx", "enter")  # the README's "ylbx and Enter for the pension item"
        await settle(pilot)
        assert panel.item and panel.item.name == "城乡居民基本养老保险参保登记"


async def test_fields_are_checked_as_the_clerk_leaves_them(make_app, services: Services) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        panel = app.screen.query_one(IntakePanel)
        number = panel.query_one("#applicant-id-number", Input)
        number.focus()
        await pilot.press(*"330212198001011239", "tab")  # a wrong check digit
        await pilot.pause()
        assert number.has_class("-invalid") and "校验位" in panel.border_subtitle
        number.focus()
        await pilot.press("backspace", "8")  # put right: the mark goes at once
        await pilot.pause()
        assert not number.has_class("-invalid") and panel.border_subtitle == ""

        await fill_pension(pilot, panel)
        account = panel.query_one("#f-bank_account", Input)
        account.value = "12ab"
        account.focus()
        await pilot.press("tab")
        await pilot.pause()
        assert account.has_class("-invalid") and "银行账号" in panel.border_subtitle


async def test_a_followed_up_bad_rating_is_shown_and_may_be_rated_again(
    make_app, services: Services
) -> None:
    store = services.store
    case = store.search_cases(CaseQuery(limit=1))[0]
    first = store.evaluate(case.case_id, "very_dissatisfied", "window_keypad", clerk_id="c0107")
    text = "已电话回访申请人，已督促整改"
    change = {"kind": "evaluation.followup", "evaluation_id": first.evaluation_id, "text": text}
    assert store.apply_changes([change], "1").followups == 1
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        await open_case(pilot, case.local_no)
        assert isinstance(app.screen, CaseScreen)
        shown = " ".join(str(s.render()) for s in app.screen.query("Static"))
        assert f"差评回访：{text}" in shown
        await pilot.click("#rate-again")
        await settle(pilot)
        assert isinstance(app.screen, EvaluationDialog)
        services.evaluator_simulator.press(2)  # the citizen, on the evaluator
        await until(pilot, lambda: store.evaluation(case.case_id).attempt == 2)
        assert store.evaluation(case.case_id).level == "satisfied"
        await settle(pilot)
        assert not app.screen.query("#rate-again")


async def test_materials_start_unmarked_and_accept_waits_for_each_required_one(
    make_app, services: Services
) -> None:
    before = len(services.store.search_cases_all())
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        panel = await card_on_reader(pilot, services, 0)
        await pilot.press(*"GG-0012", "enter")
        await settle(pilot)
        selects = [row.query_one(Select) for row in panel.checklist.rows]
        assert all(s.value is Select.NULL for s in selects)  # nothing taken for granted
        panel.query_one("#f-contribution_grade", Select).value = "300元"
        panel.query_one("#f-bank_account", Input).value = "6228480098765432109"
        mark(panel, "M01", "received")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any("户口簿" in n.message and "尚未标记" in n.message for n in app._notifications)
        assert app.focused is panel.query_one("#m-M02 Select")  # the one to mark
        assert len(services.store.search_cases_all()) == before
        await pilot.press("enter", "down", "enter")  # the clerk marks it where the focus is
        await settle(pilot)
        assert panel.query_one("#m-M02 Select", Select).value == "received"
        await pilot.press("ctrl+s")  # the optional photo may stay unmarked
        await settle(pilot)
        assert isinstance(app.screen, ResultDialog)
    assert len(services.store.search_cases_all()) == before + 1


async def test_after_an_error_the_focus_is_on_the_field_to_fix(
    make_app, services: Services
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        panel = await card_on_reader(pilot, services, 0)
        await fill_pension(pilot, panel)
        panel.query_one("#applicant-phone", Input).value = "12345"
        panel.query_one("#f-bank_account", Input).focus()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.focused is panel.query_one("#applicant-phone")
        await pilot.press("ctrl+u", *"13800138000")  # what is typed next lands there
        panel.query_one("#f-bank_account", Input).value = ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.focused is panel.query_one("#f-bank_account")
        await pilot.press(*"6228480098765432109", "ctrl+r")
        await settle(pilot)
        await pilot.click("#ok")  # 不予受理 without a reason
        await settle(pilot)
        assert app.focused is app.screen.query_one("#reason")


async def test_f11_reprints_the_last_paper_marked_and_says_so(make_app, services) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        await pilot.press("f11")
        await settle(pilot)
        assert any("还没有可补打的单据" in n.message for n in app._notifications)
        panel = await card_on_reader(pilot, services, 0)
        await fill_pension(pilot, panel)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter", "escape")
        await settle(pilot)
        await pilot.press("f11")
        await settle(pilot)
        assert any(n.message.startswith("补打受理回执：已打印") for n in app._notifications)
        first, again = [decode(j).text for j in services.printer_simulator.wait_jobs(2)[-2:]]
        assert "补打" not in first and "补打" in again and "受理回执" in again


async def test_a_missing_material_is_brought_after_review_and_the_receiver_card_is_read_by_f9(
    make_app, services: Services
) -> None:
    world = demo_data.DemoHall(services.home, advance_every=3600, ticket_every=3600)
    world.enrol(services.settings)
    app = make_app()
    try:
        async with app.run_test(size=SIZE) as pilot:
            await login(pilot)
            panel = await card_on_reader(pilot, services, 1)
            await fill_pension(pilot, panel, missing=True)
            await pilot.press("ctrl+s")
            await settle(pilot)
            case = services.store.search_cases(CaseQuery(status=["accepted_missing"]))[0]
            [missing] = case.missing
            receipt = decode(services.printer_simulator.wait_jobs(1)[-1]).text
            assert f"请于{missing.due:%Y年%m月%d日}前补交" in receipt.replace("\n", "")
            await pilot.press("enter", "escape")
            await settle(pilot)

            app.desk.sync_once()  # the platform reviews and decides before the 户口簿 comes
            world.platform.advance()
            world.platform.advance()
            app.desk.sync_once()
            assert services.store.case(case.case_id).status == "ready_for_pickup"
            await open_case(pilot, case.local_no)
            assert isinstance(app.screen, CaseScreen)
            timeline = " ".join(str(s.render()) for s in app.screen.query("Static"))
            assert "受理（容缺受理）  李娜（c0107）" in timeline and "平台状态变更" in timeline
            assert "case." not in timeline and "工号" not in timeline
            await pilot.click("#correction")  # still offered: a material is still 容缺
            await settle(pilot)
            app.screen.query_one("#m-M02 Select", Select).value = "received"
            await pilot.click("#ok")
            await settle(pilot)
            after = services.store.case(case.case_id)
            assert after.status == "ready_for_pickup" and after.missing == []
            shown = " ".join(str(label.render()) for label in app.screen.query("Label"))
            assert "户口簿：已收取" in shown and "容缺" not in shown
            assert not app.screen.query("#correction")
            app.desk.sync_once()  # the platform takes the materials without a new review
            assert services.store.case(case.case_id).status == "ready_for_pickup"

            await pilot.click("#deliver")
            await settle(pilot)
            services.idcard_simulator.lift()
            await pilot.press("f9")
            await settle(pilot)
            dialog = app.screen
            await until(pilot, lambda: any("没有证件" in n.message for n in app._notifications))
            services.idcard_simulator.place(1)  # the applicant's own card
            await pilot.press("f9")
            await until(pilot, lambda: dialog.query_one("#receiver-name", Input).value)
            await pilot.click("#ok")
            await settle(pilot)
            assert services.store.case(case.case_id).status == "delivered"
    finally:
        world.close()


async def test_at_80_columns_the_case_list_shows_status_and_date_and_dialogs_their_buttons(
    make_app, services: Services
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        panel = await card_on_reader(pilot, services, 0)
        await fill_pension(pilot, panel, missing=True)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ResultDialog)  # the longest: lines and the receipt
        close = app.screen.query_one("#close")
        assert close.region.bottom <= 24 and close.region.right <= 80
        await pilot.press("enter", "escape")
        await settle(pilot)
        await pilot.press("ctrl+f")
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        labels = [str(c.label) for c in table.ordered_columns]
        widths = [c.get_render_width(table) for c in table.ordered_columns]
        shown = labels.index("剩余工作日") + 1
        assert labels[1:3] == ["状态", "承诺"]
        assert sum(widths[:shown]) <= table.size.width
