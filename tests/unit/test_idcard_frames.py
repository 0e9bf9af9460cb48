"""SAM frames against the published bytes, and a parser that no byte sequence can crash."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.idcard import frame as f
from devices.idcard.frame import BadFrame, Frame, FrameReader


@pytest.mark.parametrize(
    ("cmd", "wire"),
    [
        (f.RESET, "aa aa aa 96 69 00 03 10 ff ec"),
        (f.STATUS, "aa aa aa 96 69 00 03 11 ff ed"),
        (f.SAM_ID, "aa aa aa 96 69 00 03 12 ff ee"),
        (f.FIND, "aa aa aa 96 69 00 03 20 01 22"),
        (f.SELECT, "aa aa aa 96 69 00 03 20 02 21"),
        (f.READ, "aa aa aa 96 69 00 03 30 01 32"),
        ((0x30, 0x10), "aa aa aa 96 69 00 03 30 10 23"),
        ((0x60, 0x04), "aa aa aa 96 69 00 03 60 04 67"),
    ],
)
def test_commands_match_published_frames(cmd, wire):
    assert f.command(*cmd).hex(" ") == wire


@pytest.mark.parametrize(
    ("frame", "wire"),
    [
        (f.response(f.OK), "aa aa aa 96 69 00 04 00 00 90 94"),
        (f.response(f.FOUND, bytes(4)), "aa aa aa 96 69 00 08 00 00 9f 00 00 00 00 97"),
        (f.response(f.NO_CARD), "aa aa aa 96 69 00 04 00 00 80 84"),
        (f.response(f.OK, bytes(8)), "aa aa aa 96 69 00 0c 00 00 90 " + "00 " * 8 + "9c"),
        (f.response(0x81), "aa aa aa 96 69 00 04 00 00 81 85"),
        (f.response(0x41), "aa aa aa 96 69 00 04 00 00 41 45"),
    ],
)
def test_responses_match_published_frames(frame, wire):
    assert frame.hex(" ") == wire
    [parsed] = FrameReader().feed(frame)
    assert parsed.body == bytes.fromhex(wire)[7:-1]


def test_garbage_before_a_frame_and_one_byte_pieces():
    reader = FrameReader()
    stream = b"\x00\xaa\xaa\x96\x13garbage\xaa" + f.response(f.FOUND, bytes(4))
    out = [item for byte in stream for item in reader.feed(bytes([byte]))]
    assert out == [Frame(b"\x00\x00\x9f\x00\x00\x00\x00")]


def test_bad_checksum_and_bad_length_are_reported_then_skipped():
    good = f.response(f.OK)
    corrupt = good[:-1] + b"\x00"
    assert FrameReader().feed(corrupt + good) == [BadFrame("校验和错误"), Frame(b"\x00\x00\x90")]
    huge = f.PREAMBLE + b"\xff\xff" + b"\x00" * 10
    out = FrameReader().feed(huge + good)
    assert (
        isinstance(out[0], BadFrame)
        and "长度" in out[0].reason
        and out[-1] == Frame(b"\x00\x00\x90")
    )


@given(st.binary(max_size=3000))
def test_no_byte_sequence_crashes_the_parser(data):
    reader = FrameReader()
    for start in range(0, len(data), 97):
        for item in reader.feed(data[start : start + 97]):
            assert isinstance(item, Frame | BadFrame)


@given(
    st.binary(max_size=200).filter(lambda b: b"\xaa" not in b),
    st.binary(max_size=300),
    st.integers(1, 50),
)
def test_a_frame_after_any_garbage_is_found_whatever_the_chunking(garbage, data, chunk):
    frame = f.response(f.OK, data)
    stream = garbage + frame
    reader = FrameReader()
    out = [i for n in range(0, len(stream), chunk) for i in reader.feed(stream[n : n + chunk])]
    assert out == [Frame(b"\x00\x00\x90" + data)]
