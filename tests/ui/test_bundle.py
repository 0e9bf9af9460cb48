"""最多跑一次 at the window: a 新生儿出生一件事 taken in one intake from the card, 邮寄 through to
出件 with a tracking number, and 跑动次数 after 补正 in person and by post."""

from __future__ import annotations

import pytest
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from clerk import demo as demo_data
from clerk.desk.bundle_intake import BundleIntakeScreen
from clerk.desk.cases import CaseScreen, CorrectionDialog, DeliverDialog
from clerk.desk.dialogs import ChoiceDialog, DraftsDialog, EvaluationDialog, ResultDialog
from clerk.desk.intake import IntakePanel
from clerk.services import Services
from devices.printer.decode import decode
from tests.ui.conftest import login, open_case, settle, until
from tests.ui.test_day import SIZE
from widgets.materials import MaterialRow, MaterialsChecklist

pytestmark = pytest.mark.anyio
PHONE = "13800001234"


async def fill_newborn(pilot, screen: BundleIntakeScreen, *, refuse: bool = True) -> None:
    """The shared fields once, each member's own, 医保 refused, the 邮寄 delivery."""
    screen.query_one("#shared-form #f-child_name", Input).value = "张小花"
    screen.query_one("#shared-form #f-child_birth_date", Input).value = "2026-11-20"
    screen.query_one("#member-0 #f-child_gender", Select).value = "女"
    screen.query_one("#member-0 #f-relation", Select).value = "父亲"
    screen.query_one("#member-1 #f-insured_year", Input).value = "2026"
    screen.query_one("#member-2 #f-bank", Select).value = "宁波银行"
    if refuse:
        screen.query_one("#member-1 .refuse", Checkbox).value = True
        await pilot.pause()
        screen.query_one("#member-1 .reason", Input).value = "新生儿已在外地参保"
        screen.query_one("#member-1 .refer", Input).value = "参保地医保经办机构"
    statuses = {
        "S01": "received",
        "S02": "received",
        "S03": "received",
        "S04": "missing_allowed",  # 父母结婚证: 容缺
        "S05": "missing_allowed",  # 新生儿照片: 容缺
    }
    for code, status in statuses.items():
        screen.query_one(f"#m-{code} Select", Select).value = status
    screen.query_one("#delivery-method", Select).value = "post"
    await pilot.pause()
    screen.query_one("#delivery-phone", Input).value = PHONE
    await pilot.pause()


async def open_newborn(pilot, services: Services) -> BundleIntakeScreen:
    """The card on the reader, `xsecs` in the item search: the bundle's own intake."""
    app = pilot.app
    panel = app.screen.query_one(IntakePanel)
    services.idcard_simulator.place(0)  # 张三, the father
    await until(pilot, lambda: panel.query_one("#applicant-name", Input).value)
    await pilot.press(*"xsecs")
    await settle(pilot)
    assert "【一件事】新生儿出生一件事" in str(
        panel.query_one("#item-results").get_option_at_index(0).prompt
    )
    await pilot.press("enter")
    await settle(pilot)
    screen = await until(pilot, lambda: isinstance(app.screen, BundleIntakeScreen) and app.screen)
    await settle(pilot)
    return screen


async def test_newborn_bundle_from_the_card_one_scan_three_cases_one_receipt(
    make_app, services: Services
) -> None:
    store = services.store
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        screen = await open_newborn(pilot, services)
        assert screen.query_one("#bundle-applicant-name", Input).value == "张三"
        await fill_newborn(pilot, screen)
        address = screen.query_one("#delivery-address", Input).value
        assert address == "浙江省宁波市鄞州区示范镇和平村12号"  # prefilled from the card

        screen.query_one("#m-S01 Select").focus()  # the father's ID card, scanned once
        await pilot.press("f10")
        await until(pilot, lambda: screen.query_one("#m-S01", MaterialRow).attachments, timeout=60)
        [scan] = screen.query_one("#m-S01", MaterialRow).attachments

        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("ctrl+s")  # pressed twice: still one set of cases
        await settle(pilot)
        assert isinstance(app.screen, ResultDialog)
        made = [
            c
            for c in store.search_cases_all()
            if c.payload.bundle and c.payload.applicant.name == "张三"
        ]
        assert len(made) == 3
        made.sort(key=lambda c: c.local_no)
        assert len({c.payload.bundle.group_id for c in made}) == 1
        for case in made:
            id_card = next(m for m in case.payload.materials if m.name == "申请人居民身份证")
            assert id_card.attachments == [scan]  # one scan, attached to each member case
            assert case.payload.form["child_name"] == "张小花"
            assert case.payload.delivery.method == "post"
            assert case.payload.delivery.address == address
        hukou, medical, card = made
        assert (hukou.status, medical.status, card.status) == (
            "accepted_missing",
            "refused",
            "accepted_missing",
        )
        assert medical.refusal.reason == "新生儿已在外地参保"

        paper = decode(services.printer_simulator.wait_jobs(1)[-1])
        text = paper.text
        assert "一件事受理回执" in text and "新生儿出生一件事" in text
        for case in made:
            assert case.local_no in text and case.payload.item.name in text
        for case in (hukou, card):
            assert f"{case.payload.promised_by:%Y年%m月%d日}" in text
        assert "父母结婚证" in text and "新生儿近期白底彩色照片" in text
        assert text.count("容缺，待补交") == 2
        assert "新生儿已在外地参保" in text
        assert "结果将邮寄至：浙江省宁波市鄞州区示范镇和平村12号" in text
        assert PHONE not in text and "3302**********1238" in text
        assert paper.qr == [f"group:{hukou.payload.bundle.group_id}"]  # one QR for the group

        await pilot.press("enter")  # close the result: back at the desk, the citizen rates
        await settle(pilot)
        assert isinstance(app.screen, EvaluationDialog)
        assert services.evaluator_simulator and services.evaluator_simulator.asked()
        services.evaluator_simulator.press(2)  # once, for the 一件事: each accepted case
        await until(pilot, lambda: store.evaluation(card.case_id), timeout=15)
        for case in (hukou, card):
            rating = store.evaluation(case.case_id)
            assert rating and rating.level == "satisfied"
        assert store.evaluation(medical.case_id) is None  # refused: nothing to rate


async def test_leaving_out_a_member_and_a_clear_message_when_one_is_incomplete(
    make_app, services: Services
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        screen = await open_newborn(pilot, services)
        await fill_newborn(pilot, screen, refuse=False)
        screen.query_one("#member-1 .take", Checkbox).value = False  # no 医保 needed
        screen.query_one("#member-2 #f-bank", Select).clear()
        await pilot.press("ctrl+s")
        await settle(pilot)
        error = str(screen.query_one("#bundle-error").render())
        assert "新生儿社会保障卡申领" in error and "合作银行" in error
        assert [
            c
            for c in services.store.search_cases_all()
            if c.payload.bundle and c.payload.applicant.name == "张三"
        ] == []
        screen.query_one("#member-2 #f-bank", Select).value = "中国银行"
        await pilot.press("ctrl+s")
        await settle(pilot)
        made = [
            c
            for c in services.store.search_cases_all()
            if c.payload.bundle and c.payload.applicant.name == "张三"
        ]
        assert len(made) == 2
        assert {c.payload.item.name for c in made} == {
            "新生儿出生登记（申报户口）",
            "新生儿社会保障卡申领",
        }


async def test_post_delivery_to_handover_and_visits_after_corrections(
    make_app, services: Services
) -> None:
    """The 邮寄 bundle's members: 补正 by post for one (no visit), in person for the other
    (one more); the results posted with a tracking number (no visit)."""
    world = demo_data.DemoHall(services.home, advance_every=3600, ticket_every=3600)
    world.enrol(services.settings)
    store = services.store
    app = make_app()
    try:
        async with app.run_test(size=SIZE) as pilot:
            await login(pilot)
            screen = await open_newborn(pilot, services)
            await fill_newborn(pilot, screen)
            await pilot.press("ctrl+s")
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            await pilot.click("#none")
            await settle(pilot)
            made = sorted(
                (
                    c
                    for c in store.search_cases_all()
                    if c.payload.bundle and c.payload.applicant.name == "张三"
                ),
                key=lambda c: c.local_no,
            )
            hukou, _, card = made

            for case, in_person in ((hukou, False), (card, True)):
                await open_case(pilot, case.local_no)
                assert isinstance(app.screen, CaseScreen)
                await until(
                    pilot, lambda: "跑动次数：1" in str(app.screen.query_one("#visits").render())
                )
                await pilot.click("#correction")
                await settle(pilot)
                assert isinstance(app.screen, CorrectionDialog)
                app.screen.query_one("#in-person", Checkbox).value = in_person
                for select in app.screen.query(MaterialsChecklist).first().query(Select):
                    select.value = "received"  # nothing is taken as brought until marked
                app.screen.query_one("#ok", Button).press()
                await settle(pilot)
                assert not isinstance(app.screen, CorrectionDialog)
                await pilot.press("escape", "escape")
                await settle(pilot)
            for case in (hukou, card):
                assert any(
                    o.type == "case.correction_received" for o in store.operations(case.case_id)
                )
            assert store.case_visits(hukou.case_id).visits == 1  # 补正 by post
            assert store.case_visits(card.case_id).visits == 2  # 补正 in person

            app.desk.sync_once()
            world.platform.advance()
            world.platform.advance()
            app.desk.sync_once()
            assert store.case(card.case_id).status == "ready_for_pickup"
            await open_case(pilot, card.local_no)
            page = app.screen
            lines = " ".join(str(label.render()) for label in page.query(Label))
            assert "送达方式：邮寄送达" in lines and "一件事：新生儿出生一件事" in lines
            await pilot.click("#deliver")
            await settle(pilot)
            dialog = app.screen
            assert isinstance(dialog, DeliverDialog)
            assert dialog.query_one("#method", Select).value == "post"
            assert dialog.query_one("#receiver-name", Input).value == "张三"
            await pilot.click("#ok")  # no tracking number yet
            await settle(pilot)
            assert "快递单号" in str(dialog.query_one(".error").render())
            dialog.query_one("#tracking", Input).value = "!!@@##"
            dialog.query_one("#ok", Button).press()
            await settle(pilot)
            assert "快递单号须为6至32位字母或数字" in str(dialog.query_one(".error").render())
            assert app.focused is dialog.query_one("#tracking", Input)
            assert dialog.query_one("#tracking", Input).max_length == 32
            assert store.case(card.case_id).status == "ready_for_pickup"
            dialog.query_one("#tracking", Input).value = "SF1234567890"
            dialog.query_one("#ok", Button).press()
            await settle(pilot)
            assert store.case(card.case_id).status == "delivered"
            page_text = lambda: " ".join(str(w.render()) for w in app.screen.query(Static))  # noqa: E731
            await until(pilot, lambda: "快递单号 SF1234567890" in page_text())
            [op] = [o for o in store.operations(card.case_id) if o.type == "case.deliver"]
            assert op.payload["method"] == "post" and op.payload["tracking_no"] == "SF1234567890"
            assert store.case_visits(card.case_id).visits == 2  # posted: no visit added
            await until(
                pilot,
                lambda: (
                    "跑动次数：2（受理1次，补正1次）" in str(page.query_one("#visits").render())
                ),
            )
    finally:
        world.close()


async def test_a_bundle_intake_is_a_draft_a_crash_does_not_lose(
    make_app, services: Services
) -> None:
    """As a single intake: each field left is saved; after a crash the next login offers the
    一件事 back as it was, and 受理 ends the draft with its cases."""
    store = services.store
    before = store.search_cases_all()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        screen = await open_newborn(pilot, services)
        await fill_newborn(pilot, screen)
        screen.query_one("#bundle-applicant-phone", Input).focus()
        await pilot.press(*"13900002222", "tab")  # a field left: the draft is saved
        await settle(pilot)
        [draft] = store.drafts()
        assert draft.bundle and draft.bundle.code == demo_data.NEWBORN
        assert draft.item_name == "【一件事】新生儿出生一件事"
        assert draft.bundle.shared_form["child_name"] == "张小花"
    # the process dies here: no logout, no 暂存

    again = make_app()
    async with again.run_test(size=SIZE) as pilot:
        await login(pilot)
        await until(pilot, lambda: isinstance(again.screen, DraftsDialog))
        await pilot.press("enter")
        screen = await until(
            pilot, lambda: isinstance(again.screen, BundleIntakeScreen) and again.screen
        )
        await settle(pilot)
        assert screen.query_one("#bundle-applicant-name", Input).value == "张三"
        assert screen.query_one("#bundle-applicant-phone", Input).value == "13900002222"
        assert screen.query_one("#shared-form #f-child_name", Input).value == "张小花"
        assert screen.query_one("#member-1 .refuse", Checkbox).value
        assert screen.query_one("#member-1 .reason", Input).value == "新生儿已在外地参保"
        assert screen.query_one("#m-S04 Select", Select).value == "missing_allowed"
        screen.query_one("#delivery-method", Select).value = "post"  # not kept, as for one item
        await pilot.pause()
        screen.query_one("#delivery-phone", Input).value = PHONE
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(again.screen, ResultDialog)
        assert store.drafts() == []  # ended with the cases, in their transaction
        made = [c for c in store.search_cases_all() if c.payload.bundle and c not in before]
        assert len(made) == 3 and made[0].payload.form["child_name"] == "张小花"


async def test_back_from_a_bundle_with_nothing_typed_gives_the_draft_back_to_the_desk(
    make_app, services: Services
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        await open_newborn(pilot, services)
        await pilot.press("escape")  # nothing typed for the 一件事: back at once
        await settle(pilot)
        [draft] = services.store.drafts()  # the same draft, the desk's intake again
        assert draft.bundle is None and draft.applicant.name == "张三"
        assert app.screen.query_one(IntakePanel).draft_id == draft.draft_id


async def test_esc_on_a_bundle_with_work_asks_and_keeps_it_all_as_a_draft(
    make_app, services: Services
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot)
        screen = await open_newborn(pilot, services)
        screen.query_one("#shared-form #f-child_name", Input).focus()
        await pilot.press(*"zxh", "tab", *"2026-11-20", "tab")  # as typed at the desk
        await settle(pilot)
        await pilot.press("escape")  # asked first; Esc again on the question: stay
        await settle(pilot)
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("escape")
        await settle(pilot)
        still: object = app.screen  # not narrowed to the question any more
        assert still is screen

        await pilot.press("escape")
        await settle(pilot)
        app.screen.query(Button).first().press()  # 暂存并返回
        await settle(pilot)
        assert not isinstance(app.screen, BundleIntakeScreen)
        assert app.screen.query_one(IntakePanel).is_empty
        [draft] = services.store.drafts()
        assert draft.bundle and draft.bundle.shared_form["child_name"] == "zxh"
        assert draft.bundle.shared_form["child_birth_date"] == "2026-11-20"

        await pilot.press("ctrl+o")  # offered back, and carried on with everything
        await settle(pilot)
        assert isinstance(app.screen, DraftsDialog)
        await pilot.press("enter")
        screen = await until(
            pilot, lambda: isinstance(app.screen, BundleIntakeScreen) and app.screen
        )
        await settle(pilot)
        assert screen.query_one("#shared-form #f-child_name", Input).value == "zxh"
        assert screen.query_one("#bundle-applicant-name", Input).value == "张三"


async def test_each_error_puts_the_focus_on_the_field_to_fix_in_screen_order(
    make_app, services: Services
) -> None:
    """A bad date above an empty choice is told first, once, with the focus on it; then the
    choice; then the material."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        screen = await open_newborn(pilot, services)
        await fill_newborn(pilot, screen, refuse=False)
        screen.query_one("#shared-form #f-child_birth_date", Input).value = "2026-13-45"
        screen.query_one("#member-0 #f-child_gender", Select).clear()
        screen.query_one("#m-S02 Select", Select).clear()
        screen.query_one("#member-0 .take", Checkbox).focus()
        before = len(app._notifications)
        await pilot.press("ctrl+s")
        await settle(pilot)
        error = str(screen.query_one("#bundle-error").render())
        assert "出生日期" in error and "不是有效的日期" in error
        assert screen.query_one("#shared-form #f-child_birth_date", Input).has_focus
        assert len(app._notifications) == before  # told once: on the error line

        await pilot.press("ctrl+u", *"2026-11-20")
        assert str(screen.query_one("#bundle-error").render()) == ""  # not left stale
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "新生儿性别" in str(screen.query_one("#bundle-error").render())
        gender = screen.query_one("#member-0 #f-child_gender", Select)
        assert gender.has_focus
        assert screen.query_one("#member-0 .take", Checkbox).value is True
        gender.value = "男"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "尚未标记" in str(screen.query_one("#bundle-error").render())
        assert screen.query_one("#m-S02 Select", Select).has_focus
        screen.query_one("#m-S02 Select", Select).value = "received"
        await pilot.pause()
        assert str(screen.query_one("#bundle-error").render()) == ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ResultDialog)


async def test_esc_on_a_bundle_opened_empty_asks_once_an_applicant_is_typed(
    make_app, services: Services
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await login(pilot)
        app.screen.query_one("#item-search", Input).focus()
        await pilot.press(*"xsecs")  # no card: the bundle's own draft
        await settle(pilot)
        await pilot.press("enter")
        screen = await until(
            pilot, lambda: isinstance(app.screen, BundleIntakeScreen) and app.screen
        )
        await settle(pilot)
        await pilot.press(*"王五", "tab")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceDialog)
        app.screen.query(Button).first().press()  # 暂存并返回
        await settle(pilot)
        assert screen not in app.screen_stack
        [draft] = services.store.drafts()
        assert draft.bundle and draft.applicant.name == "王五"
