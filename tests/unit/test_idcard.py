"""Card layouts, and the real reader driver against the simulator over ptys and TCP."""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import date

import pytest

from devices.errors import CardReadError, DeviceTimeout, DeviceUnavailable, ProtocolError
from devices.idcard import card as cards
from devices.idcard.reader import ReaderSettings, SamReader
from devices.idcard.simulator import Faults, SamSimulator, sample_cards


@pytest.fixture
def sim():
    simulator = SamSimulator()
    yield simulator
    simulator.close()


@pytest.fixture
def reader(sim, tmp_path):
    path = sim.serve_pty(link=tmp_path / "ttyID0")
    with SamReader(ReaderSettings(url=path, timeout=0.5, retries=2)) as r:
        yield r


def test_every_layout_round_trips():
    for card in sample_cards():
        text = cards.encode(card)
        assert len(text) == 256
        parsed = cards.parse(text)
        assert parsed == dataclasses.replace(card, new_address=""), card.kind  # not in 30 01
    kinds = {c.kind for c in sample_cards()}
    assert kinds == {"resident", "hmt", "foreign_2017", "foreign_2023"}


def test_code_tables_dates_and_types():
    zhang, zhao, hmt, anna, john, qian, _moved = sample_cards()
    assert (zhang.sex_name, zhang.nation_name, zhao.sex_name, qian.nation_name) == (
        "男",
        "汉",
        "女",
        "回",
    )
    assert cards.NATIONS[56] == "基诺" and cards.NATIONS[98] == "外国血统中国籍人士"
    assert zhao.expires() is None and not zhao.expired()  # 长期
    assert qian.expired(date(2026, 11, 22)) and not zhang.expired(date(2026, 11, 22))
    assert (hmt.id_type, hmt.pass_number, hmt.nation_name) == ("hmt_permit", "H12345678", "")
    assert (anna.id_type, anna.english_name, anna.nationality) == (
        "foreign_permanent",
        "SMITH ANNA",
        "USA",
    )
    assert (john.name, john.english_name, john.birth) == ("约翰", "WILLIAMS JOHN", "19850607")


def test_garbled_text_is_refused_with_a_message():
    with pytest.raises(ProtocolError, match="256"):
        cards.parse(b"\x00" * 100)
    with pytest.raises(ProtocolError, match="不完整"):
        cards.parse(" ".encode("utf-16-le") * 128)
    broken = cards.encode(sample_cards()[0]).replace(
        "19800101".encode("utf-16-le"), "1980ab01".encode("utf-16-le")
    )
    with pytest.raises(ProtocolError, match="出生日期"):
        cards.parse(broken)


def test_photo_decoder_is_optional(tmp_path):
    photo = b"WLT" + bytes(1021)
    assert cards.decode_photo(photo, None) is None
    assert cards.decode_photo(photo, "cp {wlt} {bmp}") == photo
    assert cards.decode_photo(photo, "false {wlt} {bmp}") is None
    assert cards.PHOTO_NEEDS_VENDOR == "照片需厂商解码库"


def test_status_no_card_and_a_read(sim, reader):
    assert reader.check() == "读卡器正常"
    assert reader.read_card() is None  # no card is a state, not an error
    sim.place(0)
    card = reader.read_card()
    assert (card.name, card.id_number, card.address) == (
        "张三",
        "330212198001011238",
        "浙江省宁波市鄞州区示范镇和平村12号",
    )
    assert len(card.photo) == 1024
    assert reader.read_card() is None  # read once until lifted and put back
    assert sim.received[-5:] == [
        (0x20, 0x01),
        (0x20, 0x02),
        (0x30, 0x01),
        (0x30, 0x03),
        (0x20, 0x01),
    ]


def test_all_four_layouts_through_the_reader(sim, reader):
    for index, expected in enumerate(sample_cards()):
        sim.lift()
        sim.place(index)
        card = reader.read_card()
        assert dataclasses.replace(card, photo=b"") == expected
        assert len(card.photo) == 1024


def test_the_appended_address_is_read_after_the_base_read(sim, reader):
    moved = next(i for i, c in enumerate(sample_cards()) if c.new_address)
    sim.place(moved)
    card = reader.read_card()
    assert card.new_address == "浙江省宁波市鄞州区示范镇新城路88号3幢201室"
    assert card.address == "浙江省宁波市鄞州区示范镇和平村7号"  # as printed, kept beside it
    assert card.current_address == card.new_address  # what the intake uses
    assert sim.received[-3:] == [(0x20, 0x02), (0x30, 0x01), (0x30, 0x03)]
    sim.lift()
    sim.place(0)  # no appended address: the reader answers 91
    card = reader.read_card()
    assert card.new_address == "" and card.current_address == card.address
    assert sim.received[-1] == (0x30, 0x03)


def test_a_reader_without_30_03_still_reads_the_card(sim, reader):
    sim.faults.no_appended_address = True
    sim.place(next(i for i, c in enumerate(sample_cards()) if c.new_address))
    card = reader.read_card()
    assert card.name == "孙丽" and card.new_address == ""
    assert card.current_address == "浙江省宁波市鄞州区示范镇和平村7号"


def test_no_appended_address_is_asked_of_a_foreign_card(sim, reader):
    sim.place(next(i for i, c in enumerate(sample_cards()) if c.kind == "foreign_2023"))
    assert reader.read_card().kind == "foreign_2023"
    assert (0x30, 0x03) not in sim.received


def test_garbage_one_byte_pieces_and_bad_checksums_are_survived(sim, reader):
    sim.faults = Faults(trickle=True, bad_checksum=2)
    sim.place(0)
    assert reader.read_card().name == "张三"


def test_checksums_that_stay_bad_give_a_clear_error(sim, reader):
    sim.faults = Faults(bad_checksum=100)
    sim.place(0)
    with pytest.raises(CardReadError, match="反复出错"):
        reader.read_card()


def test_silent_reader_times_out(sim, reader):
    sim.faults = Faults(silent=True)
    start = time.monotonic()
    with pytest.raises(DeviceTimeout, match="超时"):
        reader.check()
    assert time.monotonic() - start < 2


def test_slow_reader_within_the_timeout(sim, reader):
    sim.faults = Faults(delay=0.1)
    sim.place(1)
    assert reader.read_card().name == "赵秀英"


def test_card_lifted_during_the_read(sim, reader):
    sim.faults = Faults(lift_during_read=True)
    sim.place(0)
    with pytest.raises(CardReadError, match="重新放到读卡器上"):
        reader.read_card()


def test_unplugged_mid_read_then_plugged_back(sim, reader, tmp_path):
    sim.place(0)
    sim.faults = Faults(delay=0.3)
    unplug = threading.Timer(0.1, sim.unplug)
    unplug.start()
    with pytest.raises((DeviceUnavailable, DeviceTimeout)):
        reader.read_card()
    unplug.join()  # the cable is out before it goes back in
    with pytest.raises(DeviceUnavailable, match="读卡器"):
        reader.read_card()
    sim.faults = Faults()
    sim.serve_pty(link=tmp_path / "ttyID0")  # plugged back: same path, new pty
    sim.lift()
    sim.place(2)
    assert reader.read_card().name == "陈家明"


def test_tcp_reader_reconnects_after_a_cut():
    sim = SamSimulator()
    host, port = sim.serve_tcp()
    try:
        with SamReader(ReaderSettings(url=f"socket://{host}:{port}", timeout=0.5)) as reader:
            sim.place(3)
            assert reader.read_card().name == "安娜"
            sim.unplug()
            with pytest.raises((DeviceUnavailable, DeviceTimeout)):
                reader.check()
            sim.serve_tcp(host, port)
            assert reader.check() == "读卡器正常"
    finally:
        sim.close()


def test_missing_port_is_unavailable():
    with pytest.raises(DeviceUnavailable, match="无法打开读卡器"):
        SamReader(ReaderSettings(url="/dev/nonexistent-reader")).check()


def test_polling_emits_one_event_per_card_placed(sim, reader):
    events, stop = [], threading.Event()

    def poll():
        for event in reader.poll(stop.is_set, interval=0.02):
            events.append(event)

    worker = threading.Thread(target=poll)
    worker.start()
    sim.place(0)
    time.sleep(0.3)  # many polls while the card lies there
    sim.lift()
    time.sleep(0.1)
    sim.place(1)
    time.sleep(0.3)
    stop.set()
    worker.join(timeout=3)
    assert [e.name for e in events] == ["张三", "赵秀英"]


def test_every_command_and_its_status_code(sim, reader):
    from devices.idcard import frame as f

    assert reader.exchange(f.RESET).sw3 == f.OK
    assert reader.exchange(f.STATUS).sw3 == f.OK
    sam = reader.exchange(f.SAM_ID)
    assert (sam.sw3, len(sam.data)) == (f.OK, 16)
    assert reader.exchange(f.FIND).sw3 == f.NO_CARD
    assert reader.exchange(f.SELECT).sw3 == 0x81  # nothing to select
    assert reader.exchange(f.READ).sw3 == 0x41  # nothing to read
    sim.place(0)
    assert reader.exchange(f.FIND).sw3 == f.FOUND
    assert reader.exchange(f.SELECT).sw3 == f.OK
    assert len(reader.exchange(f.READ).data) == 4 + 256 + 1024
    assert reader.exchange((0x99, 0x01)).sw3 == 0x21  # unknown command
    assert set(f.STATUS_TEXT) >= {0x90, 0x9F, 0x80, 0x81, 0x41, 0x10, 0x11, 0x21, 0x60, 0x91}


def test_reader_module_fault_is_reported(sim, reader, monkeypatch):
    from devices.errors import DeviceError
    from devices.idcard import frame as f

    monkeypatch.setattr(sim, "_answer", lambda cmd: f.response(0x60))  # SAM self-test failed
    with pytest.raises(DeviceError, match="自检失败"):
        reader.check()
