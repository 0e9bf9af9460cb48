"""The papers: templates a centre can override, and what each paper must say, measured on the
bytes a GBK printer receives."""

from __future__ import annotations

import pytest

from clerk import papers, receipts
from clerk.papers.check import AT, check, sample_case, samples
from devices.printer import text
from devices.printer.decode import GLYPH, decode
from devices.printer.document import PAPER_COLUMNS, QR
from devices.printer.render import Paper, to_escpos

CENTRE = receipts.Centre("示范镇便民服务中心", "0574-88120000", 3, "示范县人民政府")


@pytest.mark.parametrize("mm", [58, 80])
@pytest.mark.parametrize("reprint", [None, AT])
def test_every_paper_decoded_fits_and_prints_every_character(mm, reprint):
    columns = PAPER_COLUMNS[mm]
    for key, doc in samples(CENTRE, reprint).items():
        printed = decode(to_escpos(doc, Paper(columns=columns, codec="gbk")), "gbk")
        assert "\ufffd" not in printed.text, key  # nothing the printer cannot decode
        for line in printed.lines:
            assert all(c == GLYPH or text.printable(c, "gbk") for c in line), (key, line)
            assert text.width(line, "gbk") <= columns, (key, line)
            assert line.lstrip()[:1] not in text.NO_START, (key, line)
        assert ("（补打）" in printed.text) == (reprint is not None and key != "ticket"), key
    receipt = decode(to_escpos(samples(CENTRE)["acceptance"], Paper(columns=columns)), "gbk")
    assert "申请人：龚" + GLYPH + "明" in receipt.text  # 𬌗 drawn as an image


def test_papers_say_what_the_law_requires():
    flat = {
        key: "".join(line.strip() for line in decode(to_escpos(doc, Paper(columns=48))).lines)
        for key, doc in samples(CENTRE).items()
    }
    assert (
        "法定时限：20个工作日" in flat["acceptance"] and "承诺时限：8个工作日" in flat["acceptance"]
    )
    assert "收费：不收费" in flat["acceptance"] and "申请人（签名）：__" in flat["acceptance"]
    assert "（节假日安排未核验）" in flat["acceptance"]
    assert "编号：330212105-GZ-03-20261221-0001" in flat["notice"]
    assert "《中华人民共和国行政许可法》第三十二条" in flat["notice"]
    assert "申请人（签收）：__" in flat["notice"]
    refusal = flat["refusal"]
    assert "六十日内向示范县人民政府申请行政复议" in refusal
    assert "六个月内向有管辖权的人民法院提起行政诉讼" in refusal
    assert "不予受理理由" in refusal and "户籍地便民服务中心" in refusal
    assert check(CENTRE) == []


def test_the_review_body_must_be_configured():
    unset = receipts.Centre("示范镇便民服务中心", "0574-88120000", 3)
    assert any("review_body" in p for p in check(unset))
    refusal = decode(to_escpos(samples(unset)["refusal"], Paper(columns=48))).text
    assert "有权受理的行政复议机关" in refusal.replace("\n", "")


def _centre_with(tmp_path, name, body) -> receipts.Centre:
    (tmp_path / "papers").mkdir(exist_ok=True)
    (tmp_path / "papers" / name).write_text(body, "utf-8")
    return receipts.Centre("示范镇便民服务中心", "", 3, "示范县人民政府", "", tmp_path / "papers")


def test_a_centre_overrides_a_template(tmp_path):
    centre = _centre_with(
        tmp_path, "_head.txt", "@center {{ centre.name }}（窗口服务）\n@title {{ title }}\n"
    )
    docs = samples(centre)
    assert all(
        "示范镇便民服务中心（窗口服务）" in decode(to_escpos(d, Paper())).text
        for key, d in docs.items()
        if key != "ticket"  # the queue ticket has its own head
    )
    assert check(centre) == []


def test_config_check_names_what_an_override_lacks_or_breaks(tmp_path):
    lacking = _centre_with(
        tmp_path, "refusal.txt", "@title {{ title }}\n理由：{{ refusal.reason }}\n"
    )
    found = check(lacking)
    assert "不予受理通知书：缺少“行政复议”" in found and "不予受理通知书：缺少“行政诉讼”" in found
    broken = _centre_with(tmp_path, "acceptance.txt", "{% if %}\n")
    assert any("受理回执模板有误（acceptance.txt）" in p for p in check(broken))
    unknown = _centre_with(tmp_path, "acceptance.txt", "{{ no_such_value }}\n")
    assert any("no_such_value" in p for p in check(unknown))
    bad = _centre_with(tmp_path, "acceptance.txt", "@stamp 公章\n")
    assert any("无法识别" in p for p in check(bad))


def test_the_sandbox_keeps_templates_away_from_python(tmp_path):
    escape = _centre_with(
        tmp_path, "ticket.txt", "{{ ''.__class__.__mro__[1].__subclasses__() }}\n"
    )
    with pytest.raises(papers.PaperError):
        samples(escape)


def test_data_cannot_add_lines_directives_or_control_bytes():
    case = sample_case("refused")
    assert case.refusal is not None
    evil = case.refusal.model_copy(update={"reason": "理由\n@qr http://evil\x1b@\x1d\x56\x00|x"})
    doc = receipts.refusal_notice(case.model_copy(update={"refusal": evil}), CENTRE)
    assert not any(isinstance(e, QR) for e in doc.elements)
    data = to_escpos(doc, Paper(columns=48))
    assert decode(data).cuts == 1  # only the paper's own cut
    flat = "".join(line.strip() for line in decode(data).lines).replace(" ", "")
    assert "理由＠qrhttp://evil＠V｜x" in flat  # one flat value, printed as text


def test_config_check_reports_the_papers(tmp_path):
    import json

    from tests.conftest import INIT, cli

    home = tmp_path / "home"
    cli(home, *INIT, input="0000\n")
    rows = {r["advice"]: r for r in json.loads(cli(home, "config", "check", "--json"))["items"]}
    unset = next(a for a in rows if "review_body" in a)
    assert rows[unset]["item"] == "单据" and "内置模板" in rows[unset]["state"]
    cli(home, "config", "set", "centre.review_body", "示范县人民政府")
    (home / "papers").mkdir()
    (home / "papers" / "refusal.txt").write_text("@title {{ title }}\n{{ refusal.reason }}\n")
    out = cli(home, "config", "check")
    assert "本中心模板，需处理" in out and "缺少“行政复议”" in out and "review_body" not in out


def test_every_material_of_the_catalog_prints_sensibly():
    from offline.catalog import demo_catalog

    for item in demo_catalog().items:
        doc = receipts.one_time_notice(item, item.materials, CENTRE, "张三", "c0107", AT)
        for mm in (58, 80):
            printed = decode(to_escpos(doc, Paper(columns=PAPER_COLUMNS[mm])), "gbk")
            assert all(text.width(line) <= PAPER_COLUMNS[mm] for line in printed.lines)
            assert all(line.lstrip()[:1] not in text.NO_START for line in printed.lines)
        for spec in item.materials:
            said = receipts.material_text(spec)
            assert said.startswith(spec.name), said
            assert spec.original or spec.copies or spec.photos, (item.code, spec.name)
            if "照片" in spec.name or "证件照" in spec.name:  # photographs are counted as such
                assert spec.photos and f"照片{spec.photos}张" in said and "复印件" not in said
            assert ("复印件" in said) == bool(spec.copies) and ("原件" in said) == bool(
                spec.original
            )


def test_the_guides_materials_for_subsistence_and_disability_cards():
    from offline.catalog import demo_catalog

    items = {i.code: i for i in demo_catalog().items}
    dibao = [m.name for m in items["330212105-QR-0021"].materials]
    assert "《社会救助申请表》（含授权承诺书）" in dibao
    card = {m.code: m for m in items["330212105-QR-0026"].materials}
    assert receipts.material_text(card["M03"]) == "近期二寸免冠彩色照片（白底），照片3张"
    assert any("残疾人证申请表" in m.name for m in card.values())
