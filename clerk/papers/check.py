"""Every paper, drawn from sample data, checked the way `clerk config check` shows it.

The samples are realistic on purpose (a long item name, a rare character in the name, an
agent, a 容缺 material) so a centre's template that breaks on real data breaks here first.
The same samples draw the PNGs in docs/ (`python -m clerk.papers.check --png docs/papers`).
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from clerk import config, receipts
from clerk.papers import PaperError
from devices.printer import text
from devices.printer.document import PAPER_COLUMNS, Document, Printed, layout
from offline.models import (
    BundleLink,
    CaseMaterial,
    CasePayload,
    CaseStatus,
    DeadlineRule,
    ItemRef,
    MaterialSpec,
    Person,
    Refusal,
    ServiceItem,
    Ticket,
    TimeLimit,
)
from offline.models import Case as CaseModel

AT = datetime(2026, 12, 21, 9, 30, tzinfo=timezone(timedelta(hours=8)))
# what each paper must say, whatever a centre's template makes of it: (any of) phrases
REQUIRED: dict[str, list[tuple[str, ...]]] = {
    "acceptance": [("法定时限",), ("承诺时限",), ("收费",), ("签名", "签字")],
    "notice": [("编号",), ("行政许可法",), ("签收", "签名", "签字")],
    "refusal": [
        ("不予受理理由", "理由"),
        ("行政复议",),
        ("六十日", "60日"),
        ("行政诉讼",),
        ("六个月", "6个月"),
        ("签收", "签名", "签字"),
    ],
    "bundle": [("签名", "签字")],
    "correction": [("签名", "签字")],
    "delivery": [("签名", "签字")],
    "ticket": [],
}


def sample_item() -> ServiceItem:
    materials = [
        MaterialSpec(code="M01", name="申请人居民身份证", original=1, copies=1),
        MaterialSpec(code="M02", name="户口簿", original=1, copies=1, note="户主页及本人页"),
        MaterialSpec(code="M03", name="近期二寸免冠彩色照片", photos=2, note="白底"),
    ]
    return ServiceItem(
        code="330212105-GG-0012",
        version=1,
        name="城乡居民基本养老保险参保登记（含缴费档次变更）",
        category="social_security",
        window_kinds=["social_security"],
        case_type="promised",
        legal_limit=TimeLimit(unit="workday", count=20),
        promised_limit=TimeLimit(unit="workday", count=8),
        allow_missing=["M02"],
        materials=materials,
        conditions="具有本县户籍、年满16周岁、未参加职工基本养老保险的城乡居民",
        basis="《国务院关于建立统一的城乡居民基本养老保险制度的意见》",
    )


def sample_case(status: CaseStatus = "accepted_missing") -> CaseModel:
    item = sample_item()
    payload = CasePayload(
        local_no="330212105-03-20261221-0001",
        centre_code="330212105",
        item=ItemRef(code=item.code, version=1, name=item.name),
        case_type="promised",
        applicant=Person(name="龚𬌗明", id_type="resident_id", id_number="330212198001011238"),
        agent=Person(name="欧阳䶮", id_type="resident_id", id_number="330212198505051233"),
        materials=[
            CaseMaterial(code="M01", name="申请人居民身份证", status="received", copies=1),
            CaseMaterial(code="M02", name="户口簿", status="missing_allowed"),
            CaseMaterial(code="M03", name="近期二寸免冠彩色照片", status="received"),
        ],
        accepted_at=AT,
        promised_by=date(2027, 1, 4),
        deadline_rule=DeadlineRule(unit="workday", count=8, calendar_version="sample"),
        clerk_id="c0107",
        window_no=3,
    )
    return CaseModel(
        case_id="0193f5a2-sample",
        status=status,
        payload=payload,
        official_no="",
        updated_at=AT,
        refusal=Refusal(
            reason="申请人户籍不在本镇，不属于本中心受理范围", refer_to="户籍地便民服务中心"
        )
        if status == "refused"
        else None,
        deadline_verified=False,
    )


def sample_bundle() -> list[CaseModel]:
    """Two members of a 一件事: one accepted with a 容缺 material, one refused."""
    made = [sample_case(), sample_case("refused")]
    numbers = [f"330212105-03-20261221-000{n}" for n in (1, 2)]
    link = BundleLink(
        code="330212105-YJS-01", name="新生儿出生一件事", group_id="0193f5a2-group", members=numbers
    )
    return [
        case.model_copy(
            update={"payload": case.payload.model_copy(update={"bundle": link, "local_no": no})}
        )
        for case, no in zip(made, numbers, strict=True)
    ]


def samples(centre: receipts.Centre, reprint: datetime | None = None) -> dict[str, Document]:
    """Each paper (by template name) for the sample case, as `centre` would print it."""
    item, case = sample_item(), sample_case()
    refused = sample_case("refused")
    ticket = Ticket(number="C007", kind="social_security", issued_at=AT)
    notice_no = "330212105-GZ-03-20261221-0001"
    return {
        "ticket": receipts.queue_ticket(ticket, centre, ahead=4),
        "acceptance": receipts.acceptance(case, centre, item, reprint),
        "bundle": receipts.bundle_acceptance(sample_bundle(), centre, reprint),
        "notice": receipts.one_time_notice(
            item,
            item.materials[1:],
            centre,
            "龚𬌗明",
            "c0107",
            AT,
            date(2027, 1, 4),
            notice_no,
            reprint,
        ),
        "refusal": receipts.refusal_notice(refused, centre, item, reprint),
        "correction": receipts.correction_receipt(case, centre, "c0107", AT, item, reprint),
        "delivery": receipts.delivery_receipt(
            case, centre, "欧阳䶮", "330212198505051233", "pickup", "c0107", AT, None, reprint
        ),
    }


def problems(doc: Document, columns: int, codec: str) -> list[str]:
    """What is wrong with a laid-out paper: lines too wide, lines starting with a closing
    mark."""
    found = []
    for block in layout(doc, columns, codec):
        if not isinstance(block, Printed) or not block.text:
            continue
        limit = columns // 2 if block.big else columns
        if text.width(block.text, codec) > limit:
            found.append(f"{doc.name}：一行超出纸宽（{columns}列）：{block.text}")
        if block.text.lstrip()[:1] in text.NO_START:
            found.append(f"{doc.name}：一行以标点开头：{block.text}")
    return found


def check(centre: receipts.Centre, codec: str = "gbk") -> list[str]:
    """Every paper rendered from the sample data at 58 and 80 mm: template errors, lines
    wider than the paper, and what a paper must say but does not, in Chinese."""
    out: list[str] = []
    try:
        docs = samples(centre) | {f"{k}（补打）": v for k, v in samples(centre, AT).items()}
    except PaperError as error:
        return [str(error)]
    for key, doc in docs.items():
        for columns in PAPER_COLUMNS.values():
            out += problems(doc, columns, codec)
        words = " ".join(b.text for b in layout(doc, 48, codec) if isinstance(b, Printed))
        for alternatives in REQUIRED.get(key, []):
            if not any(a in words.replace(" ", "") for a in alternatives):
                out.append(f"{doc.name}：缺少“{alternatives[0]}”")
    if not centre.review_body:
        out.append(
            "未配置行政复议机关（[centre] review_body），"
            "不予受理通知书将写作“有权受理的行政复议机关”"
        )
    return sorted(set(out), key=out.index)


def write_pngs(directory: Path, centre: receipts.Centre, mm: int = 58) -> list[Path]:
    """The 58 mm preview of every paper, for docs/."""
    from devices.printer.preview import to_png

    directory.mkdir(parents=True, exist_ok=True)
    return [
        to_png(doc, PAPER_COLUMNS[mm], directory / f"{key}-{mm}mm.png")
        for key, doc in samples(centre).items()
    ]


if __name__ == "__main__":  # python -m clerk.papers.check --png docs/papers
    demo = receipts.Centre(
        "示范镇便民服务中心", "0574-88120000", 3, "示范县人民政府", "示范县人民法院"
    )
    if sys.argv[1:2] == ["--png"]:
        for path in write_pngs(Path(sys.argv[2]), demo):
            print(path)
    else:
        print("\n".join(check(demo)) or "OK")


def admin_rows(home: Path, settings: config.Settings) -> list[tuple[str, str, str, str, str]]:
    """What `clerk config check` adds about paper and calendar: (key, status code, item,
    state, advice), as its other rows."""
    centre = receipts.centre_of(home, settings, settings.window.no)
    found = check(centre, settings.printer.encoding)
    source = "本中心模板" if centre.templates else "内置模板"
    rows = [("papers", "problem", "单据", f"{source}，需处理", problem) for problem in found]
    rows = rows or [("papers", "ok", "单据", f"{source}，正常", "")]
    warning = _calendar_warning(home, settings)
    if warning:
        rows.append(("calendar", "unverified", "节假日安排", "未核验", warning))
    return rows


def _calendar_warning(home: Path, settings: config.Settings) -> str | None:
    from offline.clock import now
    from offline.store import Store
    from offline.workdays import missing_next_year

    db = home / config.DB_FILE
    if not db.exists():
        return missing_next_year((), now().date())
    store = Store(db, centre_code=settings.centre.code, window_no=settings.window.no)
    try:
        return missing_next_year(store.calendar().years(), now().date())
    finally:
        store.close()
