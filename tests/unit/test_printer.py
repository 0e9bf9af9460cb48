"""The printer path: Chinese text, layout, ESC/POS bytes decoded back, the spool, status."""

from __future__ import annotations

import pytest

from clerk import receipts
from devices.printer import text
from devices.printer.decode import decode
from devices.printer.document import QR, Columns, Document, Field, Line, Printed, Rule, layout
from devices.printer.preview import to_png, to_text
from devices.printer.printer import PrinterSettings, ReceiptPrinter
from devices.printer.render import Paper, to_escpos
from devices.printer.simulator import PrinterSimulator
from offline.clock import now
from offline.models import Refusal, Ticket
from tests.conftest import pension

CENTRE = receipts.Centre("示范镇便民服务中心", "0574-88120000", 3)


def test_widths_and_wrapping():
    assert text.width("受理A1") == 6
    assert text.wrap("一二三四五", 4) == ["一二", "三四", "五"]
    assert text.two_columns("户口簿", "已收取", 20) == ["户口簿        已收取"]
    assert text.two_columns("居民身份证复印件（正反面）", "已收取", 20) == [
        "居民身份证复印件（正",  # the name wraps instead of being cut off
        "反面）        已收取",
    ]
    assert text.pad("中", 4, "center") == " 中 "
    assert text.label_value("办件编号", "330212105-03-20261123-0001", 32) == [
        "办件编号：",
        "  330212105-03-20261123-0001",
    ]
    assert text.label_value("事项", "养老保险", 32) == ["事项：养老保险"]


def test_our_encoder_keeps_chinese_punctuation():
    assert text.encode("（1）：。") == "（1）：。".encode("gbk")
    assert b"?" not in text.encode("（1）：。")
    assert text.encode("¥12", "gbk") == b"\xa3\xa412"  # full-width yen, which GBK has


def test_widths_are_the_printers_cells_not_east_asian_width():
    # ambiguous-width punctuation is double-byte in GBK, so two columns on paper
    for char in "“”‘’·—…×°→●":
        assert text.cells(char, "gbk") == 2, char
    assert text.width("（1）：。，、；“引号”《书名》——…", "gbk") == 37
    assert text.width("A-1 ", "gbk") == 4
    # beyond the printer's font: drawn as a two-column image
    assert not text.printable("𬌗", "gbk") and text.cells("𬌗", "gbk") == 2
    assert not text.printable("䶮", "gbk")  # GBK user area at most: no glyph on the printer
    assert text.printable("䶮", "gb18030") and not text.printable("𬌗", "gb18030")
    assert text.runs("龚𬌗明", "gbk") == [(True, "龚"), (False, "𬌗"), (True, "明")]


@pytest.mark.parametrize("columns", [8, 12, 16, 24, 32, 48])
def test_no_line_starts_with_closing_or_ends_with_opening_punctuation(columns):
    sample = (
        "如对本决定不服，可以自收到本通知书之日起六十日内向（区人民政府）申请行政复议，"
        "或者在六个月内依法提起行政诉讼。需提交：《社会救助申请表》、“授权承诺书”……"
        "身份证号码330212198001011238、电话0574-88120000。"
    )
    lines = text.wrap(sample, columns)
    assert "".join(lines) == sample  # nothing lost, nothing added
    for line in lines:
        assert text.width(line) <= columns, line
        assert line[0] not in text.NO_START, lines
        assert line[-1] not in text.NO_END, lines
    if columns >= 24:  # a number that fits a line is never broken
        assert any("330212198001011238" in line for line in lines)


def _doc() -> Document:
    return Document(
        "测试",
        (
            Line("受理回执", "center", bold=True, big=True),
            Field("办件编号", "330212105-03-20261123-0001"),
            Columns("（1）户口簿", "已收取"),
            Rule(),
            QR("case-123"),
        ),
    )


def test_escpos_bytes_decode_back_to_the_same_lines():
    data = to_escpos(_doc(), Paper(columns=32))
    assert data.startswith(b"\x1b\x40\x1c\x26")  # ESC @, FS & (Chinese mode on)
    assert b"\x1d\x21\x11" in data  # GS ! double size for the title
    printed = decode(data)
    assert printed.lines == [b.text for b in layout(_doc(), 32) if isinstance(b, Printed)]
    assert printed.qr == ["case-123"] and printed.cuts == 1 and printed.chinese_mode
    assert printed.lines[1] == "办件编号："


def test_qr_as_an_image_for_printers_without_native_qr():
    printed = decode(to_escpos(_doc(), Paper(columns=48, qr_native=False)))
    assert printed.qr == [] and printed.images == 1


@pytest.mark.parametrize("columns", [32, 48])
def test_every_document_fits_the_paper(store, columns):
    accepted = store.accept(pension(missing=True), clerk_id="c0107")
    refused = store.refuse(
        pension(),
        Refusal(
            reason="不属于本中心受理范围，须到区级窗口办理", refer_to="区行政服务中心二楼社保窗口"
        ),
        clerk_id="c0107",
    )
    item = store.item(accepted.payload.item.code)
    ticket = Ticket(number="C007", kind="general", issued_at=now())
    docs = [
        receipts.acceptance(accepted, CENTRE),
        receipts.refusal_notice(refused, CENTRE),
        receipts.one_time_notice(item, item.materials, CENTRE, "张三", "c0107", now()),
        receipts.queue_ticket(ticket, CENTRE, ahead=4),
        receipts.delivery_receipt(
            accepted, CENTRE, "张三", "330212198001011238", "pickup", "c0107", now()
        ),
    ]
    for doc in docs:
        for block in layout(doc, columns):
            if isinstance(block, Printed):
                limit = columns // 2 if block.big else columns
                assert text.width(block.text) <= limit, (doc.name, block.text)
        printed = decode(to_escpos(doc, Paper(columns=columns))).text
        assert "330212198001011238" not in printed  # never a full ID number on paper
    receipt = decode(to_escpos(docs[0], Paper(columns=columns)))
    assert accepted.local_no in receipt.text.replace("\n  ", "")
    assert "3302**********1238" in receipt.text and "户口簿" in receipt.text
    missing = "容缺，待补交" in receipt.text or "前补交" in receipt.text.replace("\n", "").replace(
        " ", ""
    )
    assert (missing and "2026" in receipt.text) or "即办" in receipt.text
    assert receipt.qr == [accepted.case_id]
    notice = decode(to_escpos(docs[1], Paper(columns=columns))).text
    assert "不予受理理由" in notice and "区行政服务中心" in notice
    assert "前面还有 4 人" in decode(to_escpos(docs[3], Paper(columns=columns))).text


@pytest.fixture
def printer_sim():
    sim = ServedSimulator()
    host, port = sim.serve()
    sim.url = f"tcp://{host}:{port}"
    yield sim
    sim.close()


class ServedSimulator(PrinterSimulator):
    """The simulator with the URL it serves on, for the driver under test."""

    url = ""


def test_print_reaches_the_printer(printer_sim, tmp_path):
    printer = ReceiptPrinter(PrinterSettings(printer_sim.url, Paper(columns=32)), tmp_path)
    result = printer.print(_doc())
    assert (result.printed, result.waiting, result.message) == (1, 0, "已打印 1 份")
    [job] = printer_sim.wait_jobs(1)
    assert decode(job).qr == ["case-123"]
    assert printer.status() == "ok"


def test_paper_out_keeps_jobs_in_order_until_paper_is_back(printer_sim, tmp_path):
    printer = ReceiptPrinter(PrinterSettings(printer_sim.url), tmp_path)
    printer_sim.paper_out = True
    first = printer.print(Document("一", (Line("第一张"),)))
    second = printer.print(Document("二", (Line("第二张"),)))
    assert (first.waiting, second.waiting, second.status) == (1, 2, "paper_out")
    assert "缺纸" in second.message and "待打印 2 份" in second.message
    assert printer_sim.jobs == [] and printer.status() == "paper_out"
    printer_sim.paper_out = False
    assert printer.flush().printed == 2
    printed = decode(b"".join(printer_sim.wait_jobs(1)))  # one session, two documents
    assert [line for line in printed.lines if line] == ["第一张", "第二张"]
    assert printed.cuts == 2
    assert printer.spool.pending() == []


def test_a_queue_ticket_prints_now_or_never(printer_sim, tmp_path):
    printer = ReceiptPrinter(PrinterSettings(printer_sim.url), tmp_path)
    printer_sim.paper_out = True
    missed = printer.print_now(Document("排队号", (Line("C007"),)))
    assert (missed.printed, missed.status) == (0, "paper_out")
    printer_sim.paper_out = False
    assert printer.print_now(Document("排队号", (Line("C008"),))).printed == 1
    printed = decode(b"".join(printer_sim.wait_jobs(1)))
    assert [line for line in printed.lines if line] == ["C008"]  # not C007 in front of it
    assert printer.spool.pending() == []


def test_cover_open_and_unreachable_keep_the_job(printer_sim, tmp_path):
    printer_sim.cover_open = True
    printer = ReceiptPrinter(PrinterSettings(printer_sim.url), tmp_path)
    assert printer.print(_doc()).status == "cover_open"
    gone = ReceiptPrinter(PrinterSettings("tcp://127.0.0.1:9", timeout=1), tmp_path / "b")
    result = gone.print(_doc())
    assert (result.status, result.waiting) == ("unreachable", 1)
    assert "无法连接打印机" in result.message


def test_file_transport_writes_the_bytes(tmp_path):
    device = tmp_path / "lp0"
    device.touch()
    printer = ReceiptPrinter(PrinterSettings(f"file:{device}"), tmp_path / "spool")
    result = printer.print(_doc())
    assert (result.printed, result.status) == (1, "unknown")
    assert decode(device.read_bytes()).qr == ["case-123"]


def test_bad_url_is_explained(tmp_path):
    result = ReceiptPrinter(PrinterSettings("lpt1"), tmp_path).print(_doc())
    assert result.status == "unreachable" and result.waiting == 1


def test_previews(tmp_path):
    shown = to_text(_doc(), 32)
    assert shown.splitlines()[0] == "+" + "-" * 32 + "+"
    assert "[二维码 case-123]" in shown and shown.endswith("✂")
    png = to_png(_doc(), 32, tmp_path / "r.png")
    from PIL import Image

    with Image.open(png) as image:
        assert image.width == 32 * 12 + 40 and image.height > 200


def test_a_rare_character_prints_as_its_glyph_on_a_gbk_printer():
    from fontTools.ttLib import TTFont

    from devices.printer import glyphs

    doc = Document("测试", (Field("申请人", "龚𬌗明"), Line("地址：䶮山路1号")))
    data = to_escpos(doc, Paper(columns=32, codec="gbk"))
    printed = decode(data, "gbk")  # strictly GBK: anything else would decode as �
    assert printed.lines[:2] == ["申请人：龚\ufffc明", "地址：\ufffc山路1号"]
    assert "\ufffd" not in printed.text and b"?" not in data
    first, second = printed.glyphs
    assert first.width == 24 and second.width == 24  # two 12-dot columns, like 龚
    # the image is the font's drawing of 𬌗, and the font really has 𬌗 (not its empty box)
    font = glyphs.font_for("𬌗")
    with TTFont(font, fontNumber=0, lazy=True) as ttf:
        assert 0x2C317 in ttf.getBestCmap()
    assert first.columns == glyphs.glyph_bytes("𬌗")[5:]
    inked = sum(first.ink(x, y) for x in range(24) for y in range(24))
    assert 40 < inked < 400, "\n".join(first.rows())
    assert first.columns != glyphs.glyph_bytes("龚")[5:]


def test_a_big_line_with_a_rare_character_prints_as_one_image():
    doc = Document("测试", (Line("龚𬌗明", "center", big=True), Line("其他")))
    printed = decode(to_escpos(doc, Paper(columns=32)), "gbk")
    assert printed.images == 1 and printed.glyphs == []
    assert [line for line in printed.lines if line] == ["其他"]


def test_a_gb18030_printer_prints_extension_a_itself():
    data = to_escpos(Document("测试", (Line("䶮𬌗"),)), Paper(columns=32, codec="gb18030"))
    printed = decode(data, "gb18030")
    assert printed.lines[0] == "䶮\ufffc" and len(printed.glyphs) == 1


def test_a_character_no_font_has_prints_as_a_box_not_garbage():
    data = to_escpos(Document("测试", (Line("张\U000f0001三"),)), Paper(columns=32))
    printed = decode(data, "gbk")
    assert printed.lines[0] == "张□三" and printed.glyphs == []


@pytest.mark.parametrize("bad", ["张\x1b[31m三", "GS\x1dV\x00", "a\u202eb", "\x00"])
def test_control_bytes_from_data_never_reach_the_printer(bad):
    from devices.errors import PrinterError

    doc = Document(name="受理回执", elements=(Field("申请人", bad),))
    with pytest.raises(PrinterError, match="控制字符"):
        to_escpos(doc, Paper(columns=32))
