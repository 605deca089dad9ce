"""What goes to the paper: the bytes of a ticket and a notice in text and image mode, read
back by an independent ESC/POS decoder, and golden print jobs for each mode and width, compared as what they put on paper."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from printer_driver import PrinterSettings
from printer_driver.layout import LayoutError, load_layout, wrap
from tests.printer.documents import NOTICE, PHONE_URL, TICKET, render
from tests.printer.escpos_decode import EscPosError, Raster, decode

GOLDEN = Path(__file__).with_name("golden")
UPDATE = os.environ.get("HALLQ_UPDATE_GOLDEN") == "1"  # set it to re-record after a deliberate change


def settings(mode: str = "text", paper: int = 58, **more: object) -> PrinterSettings:
    return PrinterSettings(url="dummy:", mode=mode, paper=paper, **more)


def printed_text(data: bytes, encoding: str = "gb18030") -> str:
    """The characters on the paper, line breaks and the indents of wrapped list entries taken
    out (the layout wraps long lines)."""
    return "".join(line.text.lstrip() for line in decode(data, encoding).lines)


@pytest.mark.parametrize("paper", [58, 80])
def test_a_text_mode_ticket_shows_everything_in_chinese_within_the_byte_budget(paper):
    data = render("ticket", settings(paper=paper)).data
    decoded = decode(data)  # raises on any byte outside FS & ... FS . that is not ASCII
    text = printed_text(data)
    for expected in (
        "青山县政务服务中心",
        "户籍业务",
        "居民身份证申领（首次申领、换领、补领）",
        "您前面还有 7 人等候",
    ):
        assert expected in text
    assert "1、2、16号窗口" in text and "2026-11-23 09:05" in text
    number = next(line for line in decoded.lines if line.text == "A012")
    assert number.width == number.height == 6 and number.align == "center"
    assert decoded.qr_codes == [PHONE_URL]
    assert decoded.cuts == ["partial"]
    assert len(data) <= 1500, f"{len(data)} bytes: over the 1,500-byte budget"


def test_every_line_fits_the_paper():
    for paper, columns in ((58, 32), (80, 48)):
        decoded = decode(render("notice", settings(paper=paper)).data)
        for line in decoded.lines:
            used = sum(2 if ord(c) > 0x7F else 1 for c in line.text) * line.width
            assert used <= columns, (paper, line)


def test_a_line_of_punctuation_alone_prints_in_chinese_mode_not_as_question_marks():
    # python-escpos 3.1's text() prints "??????" for this line: it has no Han character.
    fields = {**TICKET, "item_name": "：（）１２３"}
    data = render("ticket", settings(), fields).data
    assert "：（）１２３".encode("gb18030") in data
    assert "：（）１２３" in printed_text(data)
    assert b"??" not in data


def test_characters_beyond_the_basic_han_block_print_in_gb18030():
    fields = {**TICKET, "item_name": "𠀀号楼鿏"}  # U+20000 (extension B) and U+9FCF
    assert "𠀀号楼鿏" in printed_text(render("ticket", settings(), fields).data)


def test_traditional_chinese_prints_in_big5_and_in_gb18030():
    # The queue's name has a line of its own; the default layout's labels (办理事项) are
    # Simplified, which a Big5 printer would print as pictures.
    name = "臺灣居民來往大陸通行證"
    fields = {**TICKET, "hall_name": "臺北市聯合服務中心", "queue_name": name}
    for encoding in ("big5", "gb18030"):
        rendered = render("ticket", settings(encoding=encoding), fields)
        assert name in printed_text(rendered.data, encoding), encoding


def test_a_character_the_encoding_cannot_carry_is_reported_and_printed_as_a_picture():
    fields = {**TICKET, "item_name": "𠀀字号申请"}  # not in GBK
    rendered = render("ticket", settings(encoding="gbk"), fields)
    assert rendered.problems == [
        '"𠀀" cannot be printed in gbk: the line "办理事项：𠀀字号申请" went as a picture'
    ]
    decoded = decode(rendered.data, "gbk")
    assert "办理事项" not in decoded.text  # that line is the picture
    assert any(isinstance(item, Raster) and item.width == 384 for item in decoded.items)
    assert b"?" not in rendered.data.split(b"\x1dv0")[0]


def test_control_characters_in_the_catalogue_do_not_reach_the_printer_as_commands():
    fields = {**TICKET, "item_name": "证件\x1b@\x1dV\x00补办"}
    data = render("ticket", settings(), fields).data
    assert data.count(b"\x1b@") == 1  # the job's own initialise, nothing more
    assert "证件 @ V 补办" in printed_text(data)


def test_the_reprint_mark_and_priority_appear_only_when_set():
    plain = printed_text(render("ticket", settings()).data)
    assert "重打" not in plain and "优先" not in plain
    marked = printed_text(
        render("ticket", settings(), {**TICKET, "reprint": "重打", "priority": "老年人优先"}).data
    )
    assert "【重打】" in marked and "老年人优先" in marked


def test_a_notice_lists_every_material_and_condition_numbered():
    text = printed_text(render("notice", settings(paper=80)).data)
    assert "一次性告知单" in text
    materials = NOTICE["materials"]
    assert isinstance(materials, list)
    for number, material in enumerate(materials, start=1):
        assert f"{number}. {material}" in text
    assert "受理条件：" in text and "1. 本县常住户口居民" in text
    assert "收费标准：首次申领" in text


def test_image_mode_sends_the_ticket_as_a_raster_at_the_paper_width():
    for paper, dots in ((58, 384), (80, 576)):
        decoded = decode(render("ticket", settings("image", paper)).data)
        assert decoded.lines == [] and decoded.qr_codes == []
        assert {raster.width for raster in decoded.rasters} == {dots}
        assert sum(raster.height for raster in decoded.rasters) > 600


@pytest.mark.parametrize("mode", ["text", "image"])
@pytest.mark.parametrize("paper", [58, 80])
@pytest.mark.parametrize("kind", ["ticket", "notice"])
def test_golden_prints(kind, mode, paper):
    """What goes on paper matches the golden job: the decoded lines, codes and cuts exactly, and
    each raster dot for dot but for the few dots a newer Pillow may anti-alias otherwise (at
    most 0.5 %), so that Pillow can take its security releases without a pin."""
    data = render(kind, settings(mode, paper)).data
    golden = GOLDEN / f"{kind}-{mode}-{paper}.bin"
    if UPDATE:
        golden.write_bytes(data)
    printed, expected = decode(data), decode(golden.read_bytes())
    hint = f"{golden.name} differs: if the change is meant, run with HALLQ_UPDATE_GOLDEN=1"
    assert printed.lines == expected.lines and printed.qr_codes == expected.qr_codes, hint
    assert printed.cuts == expected.cuts, hint
    assert [(r.width, r.height, r.align) for r in printed.rasters] == [
        (r.width, r.height, r.align) for r in expected.rasters
    ], hint
    for raster, want in zip(printed.rasters, expected.rasters, strict=True):
        differing = sum(bin(a ^ b).count("1") for a, b in zip(raster.bits, want.bits, strict=True))
        assert differing <= raster.width * raster.height * 0.005, f"{hint}: {differing} dots"


def test_the_decoder_is_not_fooled_by_chinese_outside_chinese_mode():
    with pytest.raises(EscPosError, match="outside Chinese mode"):
        decode(b"\x1b@" + "号".encode("gb18030") + b"\n")


def test_wrapping_never_starts_a_line_with_closing_punctuation():
    for columns in range(8, 40):
        for line in wrap("请携带身份证、户口簿，以及近期免冠照片。材料不全的，一次告知。", columns):
            assert line[:1] not in "，。、", (columns, line)
            assert sum(2 if ord(c) > 0x7F else 1 for c in line) <= columns


def test_a_layout_with_an_unknown_field_is_refused_with_its_block(tmp_path):
    text = (load_layout().source and Path(load_layout().source).read_text(encoding="utf-8")).replace(
        "{queue_name}", "{queue}", 1
    )
    path = tmp_path / "layout.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LayoutError, match=r"layout.toml: ticket block 5: unknown field \{queue\}"):
        load_layout(path)
    path.write_text(
        text.replace("[[ticket]]\nrule = true", '[[ticket]]\nrule = true\ntext = "x"', 1), encoding="utf-8"
    )
    with pytest.raises(LayoutError, match=r"ticket block 4: .*exactly one of"):
        load_layout(path)
