"""一件事 bundles in the catalog and the store, 送达方式, and 跑动次数 counted from operations."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from offline import visits
from offline.bundles import BundleIntake, MemberEntry, checklist
from offline.catalog import demo_catalog
from offline.followup import FollowUpError
from offline.intake import IntakeError
from offline.models import Bundle, CaseMaterial, Delivery, Person, Refusal
from offline.platform.store import PlatformStore
from tests.conftest import ZHANG, pension, received

NEWBORN = "330212105-YJS-01"
HUKOU_REG, MEDICAL, SSCARD = (
    "330212105-GG-0037",
    "330212105-GG-0038",
    "330212105-GG-0039",
)
PDF = b"%PDF-1.4\n% the applicant's ID card, scanned once\n"
SHA = hashlib.sha256(PDF).hexdigest()
POST = Delivery(method="post", address="浙江省宁波市示范镇和平村1号", phone="13800001234")


def zhang() -> Person:
    return Person(
        name="张三", id_type="resident_id", id_number=ZHANG, address="浙江省宁波市示范镇和平村"
    )


def newborn(refuse: str | None = MEDICAL, delivery: Delivery | None = POST, **kw) -> BundleIntake:
    """张三 for his newborn: the ID card scanned once (S01), 出生医学证明 (S03) received, the
    marriage certificate and the photo 容缺."""
    members = [
        MemberEntry(item_code=HUKOU_REG, form={"child_gender": "女", "relation": "父亲"}),
        MemberEntry(item_code=MEDICAL, form={"insured_year": 2026}),
        MemberEntry(item_code=SSCARD, form={"bank": "宁波银行"}),
    ]
    for m in members:
        if m.item_code == refuse:
            m.refusal = Refusal(reason="新生儿已在外地参保", refer_to="参保地医保经办机构")
    return BundleIntake(
        bundle_code=NEWBORN,
        applicant=zhang(),
        shared_form={"child_name": "张小花", "child_birth_date": "2026-11-20"},
        members=kw.pop("members", members),
        materials=[
            received("S01").model_copy(update={"attachments": [SHA]}),
            received("S02"),
            received("S03"),
            CaseMaterial(code="S04", name="", status="missing_allowed"),
            CaseMaterial(code="S05", name="", status="missing_allowed"),
        ],
        delivery=delivery,
        ticket="C009",
        **kw,
    )


def test_demo_catalog_has_realistic_bundles_of_its_own_items():
    catalog = demo_catalog()
    codes = {i.code: i for i in catalog.items}
    assert len(catalog.bundles) >= 4
    assert {"新生儿出生一件事", "退休一件事", "残疾人服务一件事", "个体工商户开办一件事"} <= {
        b.name for b in catalog.bundles
    }
    for bundle in catalog.bundles:
        assert all(ref.code in codes for ref in bundle.items)
        for name in bundle.shared_fields:  # a shared field is asked of two members at least
            assert sum(name in codes[r.code].form["properties"] for r in bundle.items) >= 2


@pytest.mark.parametrize("text", ["xsecs", "新生儿出生", "xinshenger", NEWBORN])
def test_bundles_are_found_like_items(store, text):
    assert store.search_bundles(text)[0].name == "新生儿出生一件事"
    assert store.search_bundles(text, "agriculture") == []


def test_shared_checklist_names_each_material_once():
    items = {i.code: i for i in demo_catalog().items}
    shared = checklist([items[HUKOU_REG], items[MEDICAL], items[SSCARD]])
    names = [s.name for s in shared.specs]
    assert names[:3] == ["申请人居民身份证", "户口簿", "出生医学证明"]
    assert len(names) == len(set(names))
    assert shared.needs["S01"] == [(HUKOU_REG, "M01"), (MEDICAL, "M01"), (SSCARD, "M01")]
    assert shared.needs["S03"] == [(HUKOU_REG, "M03"), (MEDICAL, "M02"), (SSCARD, "M02")]
    assert shared.specs[1].required  # 户口簿: optional for one member, required by another
    assert set(shared.allow_missing) == {"S04", "S05"}


def test_one_intake_makes_one_case_per_member_linked_by_one_group(store):
    made = store.accept_bundle(newborn(), clerk_id="c0107")
    assert [c.status for c in made] == ["accepted_missing", "refused", "accepted_missing"]
    groups = {c.payload.bundle.group_id for c in made}
    assert len(groups) == 1
    numbers = [c.local_no for c in made]
    assert len(set(numbers)) == 3
    for case in made:
        assert case.payload.bundle.members == numbers
        assert case.payload.bundle.name == "新生儿出生一件事"
        assert case.payload.delivery == POST
        assert case.payload.form["child_name"] == "张小花"  # the shared field, asked once
        id_card = next(m for m in case.payload.materials if m.name == "申请人居民身份证")
        assert id_card.attachments == [SHA]  # scanned once, attached to each member
    hukou, refused, card = made
    assert hukou.payload.form["relation"] == "父亲" and "relation" not in card.payload.form
    assert refused.refusal.reason.startswith("新生儿已在外地参保")
    assert refused.payload.promised_by is None and hukou.payload.promised_by is not None
    assert [m.name for m in card.missing] == ["新生儿近期白底彩色照片"]
    ops = [store.operations(c.case_id)[0] for c in made]
    assert [op.type for op in ops] == ["case.accept", "case.reject", "case.accept"]
    assert ops[1].payload["bundle"]["group_id"] in groups
    assert store.case(numbers[0]).payload.bundle.members == numbers


def test_a_member_may_be_left_out(store):
    entry = newborn(refuse=None)
    entry.members = entry.members[:2]
    made = store.accept_bundle(entry, clerk_id="c0107")
    assert len(made) == 2 and made[0].payload.bundle.members == [c.local_no for c in made]


def test_nothing_is_numbered_when_one_member_is_wrong(store):
    entry = newborn(refuse=None)
    entry.members[2].form = {}  # 合作银行 missing
    with pytest.raises(IntakeError, match=r"新生儿社会保障卡申领：.*合作银行.*必填"):
        store.accept_bundle(entry, clerk_id="c0107")
    assert store.search_cases_all() == []
    entry.members = []
    with pytest.raises(IntakeError, match="至少选择一个"):
        store.accept_bundle(entry, clerk_id="c0107")


def test_on_the_spot_only_for_instant_items(store):
    spot = Delivery(method="on_the_spot")
    with pytest.raises(IntakeError, match="承诺件，不能当场办结"):
        store.accept_bundle(newborn(refuse=None, delivery=spot), clerk_id="c0107")
    with pytest.raises(IntakeError, match="当场办结仅适用于即办件"):
        store.accept(pension().model_copy(update={"delivery": spot}), clerk_id="c0107")


def test_post_needs_address_and_phone():
    with pytest.raises(ValueError, match="邮寄地址"):
        Delivery(method="post", phone="13800001234")
    with pytest.raises(ValueError, match="联系电话"):
        Delivery(method="post", address="某地")


def test_catalog_bundle_changes_from_the_platform(store):
    bundle = store.bundle(NEWBORN)
    renamed = bundle.model_copy(update={"version": 2, "name": "出生一件事"})
    store.apply_changes([{"kind": "catalog.bundle", "bundle": renamed.model_dump()}], "1")
    assert store.bundle(NEWBORN).name == "出生一件事"
    store.apply_changes([{"kind": "catalog.bundle_retired", "code": NEWBORN, "version": 2}], "2")
    assert store.bundle(NEWBORN).version == 1
    assert isinstance(store.bundles("general")[0], Bundle)


# --- 跑动次数 ----------------------------------------------------------------------------------


def _ready(store, key):
    """The platform says the result is ready (as sync would apply it)."""
    case = store.case(key)
    change = {"kind": "case.status", "case_id": case.case_id, "status": "ready_for_pickup"}
    store.mark([op.op_id for op in store.operations(case.case_id)], "acked")
    store.apply_changes([change | {"server_version": 9}], "c")


@pytest.mark.parametrize("bad", ["!!@@##", "SF 123456", "12345", "A" * 33, "顺丰1234567"])
def test_a_tracking_number_is_letters_and_digits_of_a_sane_length(store, bad):
    posted = store.accept(pension().model_copy(update={"delivery": POST}), clerk_id="c0107")
    _ready(store, posted.case_id)
    with pytest.raises(FollowUpError, match="快递单号须为6至32位字母或数字"):
        store.deliver(posted.case_id, zhang(), "post", bad, clerk_id="c0107")
    assert store.case(posted.case_id).status == "ready_for_pickup"
    store.deliver(posted.case_id, zhang(), "post", "EA123456789CN", clerk_id="c0107")
    [event] = [e for e in store.timeline(posted.case_id) if e.action == "case.deliver"]
    assert event.detail["tracking_no"] == "EA123456789CN"  # the case page shows it


def test_visits_counted_per_case(store):
    one = store.accept(pension(missing=True), clerk_id="c0107")  # 容缺: 户口簿 later
    store.receive_correction(one.case_id, [received("M02")], clerk_id="c0107", in_person=True)
    two = store.accept(pension(missing=True), clerk_id="c0107")
    store.receive_correction(two.case_id, [received("M02")], clerk_id="c0107", in_person=False)
    posted = store.accept(pension().model_copy(update={"delivery": POST}), clerk_id="c0107")
    for case in (one, two, posted):
        _ready(store, case.case_id)
    store.deliver(one.case_id, zhang(), "pickup", clerk_id="c0107")
    store.deliver(posted.case_id, zhang(), "post", "SF1234567890", clerk_id="c0107")
    counted = {v.case_id: v for v in store.visits()}
    assert counted[one.case_id].visits == 3  # intake, 补正 in person, pickup
    assert counted[two.case_id].visits == 1  # 补正 by post; not collected yet
    assert counted[posted.case_id].visits == 1  # the result went by post
    assert store.case_visits(one.case_id).corrections == 1
    with pytest.raises(FollowUpError, match="快递单号"):
        store.deliver(two.case_id, zhang(), "post", None, clerk_id="c0107")
    today = one.payload.accepted_at.date()
    rep = visits.report(store.visits(), today, today)
    item = next(r for r in rep.rows if r.group == "item")
    assert (item.cases, item.done, item.at_most_once, item.zero_extra) == (3, 2, 1, 2)
    assert (item.more, item.more_correction, item.more_pickup, item.rate) == (1, 1, 1, 0.5)
    assert {r.group for r in rep.rows} == {"item", "window", "month"}
    assert rep.as_csv().splitlines()[0].startswith("group,key,name,cases,done")
    assert visits.report(store.visits(), date(2000, 1, 1), date(2000, 1, 2)).rows == []
    assert store.visits(date(2000, 1, 1), date(2000, 1, 2)) == []
    assert len(store.visits(today, today)) == 3


def test_platform_serves_bundles_keeps_groups_and_moves_them_together(store, tmp_path):
    platform = PlatformStore(tmp_path / "platform.db")
    platform.add_device("win-03", "330212105")
    platform.blob_put(SHA, 0, len(PDF), PDF)
    made = store.accept_bundle(newborn(refuse=None), clerk_id="c0107")
    single = store.accept(pension(), clerk_id="c0107")
    ops = [op.model_dump(mode="json") for c in made for op in store.operations(c.case_id)]
    ops += [op.model_dump(mode="json") for op in store.operations(single.case_id)]
    results = platform.apply_ops("win-03", "330212105", ops)
    assert {r["result"] for r in results} == {"applied"}
    rows = platform.db.conn.execute("SELECT group_id, status FROM cases").fetchall()
    assert len({g for g, _ in rows if g}) == 1
    platform.advance(limit=2)  # even with room for two, the group moves as one
    statuses = dict(platform.db.conn.execute("SELECT case_id, status FROM cases").fetchall())
    assert {statuses[c.case_id] for c in made} == {"approved"}
    platform.advance()
    statuses = dict(platform.db.conn.execute("SELECT case_id, status FROM cases").fetchall())
    assert {statuses[c.case_id] for c in made} == {"ready_for_pickup"}
    assert {v.case_id: v.visits for v in platform.visits("330212105")} == {
        v.case_id: v.visits for v in store.visits()
    }


def test_report_visits_cli(tmp_path):
    import csv
    import io
    import json

    from offline.store import Store
    from tests.conftest import INIT, cli

    home = tmp_path / "home"
    cli(home, *INIT)
    store = Store(home / "clerk.db", centre_code="330212105", window_no=3)
    made = store.accept_bundle(newborn(), clerk_id="c0107")
    store.close()
    today = made[0].payload.accepted_at.date().isoformat()
    data = json.loads(cli(home, "report", "visits", "--from", today, "--to", today, "--json"))
    items = {r["key"]: r for r in data["rows"] if r["group"] == "item"}
    assert set(items) == {HUKOU_REG, SSCARD}  # the refused member is not a case to count
    assert items[SSCARD]["zero_extra"] == 1 and items[SSCARD]["rate"] is None
    rows = list(csv.DictReader(io.StringIO(cli(home, "report", "visits", "--csv"))))
    assert {r["group"] for r in rows} == {"item", "window", "month"}
    table = cli(home, "report", "visits")
    assert "最多跑一次率" in table and "新生儿社会保障卡申领" in table
    assert "晚于" in cli(home, "report", "visits", "--from", "2030-01-01", code=1)
    listed = cli(home, "catalog", "bundles")
    assert "新生儿出生一件事" in listed and "新生儿出生登记（申报户口）" in listed
    found = json.loads(cli(home, "catalog", "bundles", "--kind", "business", "--json"))
    assert [b["name"] for b in found] == ["个体工商户开办一件事"]


def test_receipts_say_how_the_result_reaches_the_citizen(store):
    from clerk.receipts import Centre, acceptance, bundle_acceptance
    from devices.printer.preview import to_text as preview

    centre = Centre("示范镇便民服务中心", "0574-88120000", 3)

    def to_text(doc, columns):  # the printed lines joined, as the citizen reads them
        return "".join(line.strip("| ") for line in preview(doc, columns).splitlines())

    posted = store.accept(pension().model_copy(update={"delivery": POST}), clerk_id="c0107")
    text = to_text(acceptance(posted, centre), 48)
    assert "结果将邮寄至：浙江省宁波市示范镇和平村1号（138****1234）" in text
    kept = store.accept(pension(), clerk_id="c0107")
    assert f"请于{kept.payload.promised_by:%Y年%m月%d日}后到任一窗口领取结果" in to_text(
        acceptance(kept, centre), 48
    )
    made = store.accept_bundle(newborn(delivery=None), clerk_id="c0107")
    paper = to_text(bundle_acceptance(made, centre), 48)
    assert paper.count("后到任一窗口领取结果") == 2  # each accepted member, its own date
    assert "结果将邮寄至" not in paper and "新生儿已在外地参保" in paper
