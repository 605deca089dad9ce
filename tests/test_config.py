"""Every bad configuration is refused with its file, its line or key, and what is wrong."""

import csv
import shutil
from pathlib import Path

import pytest
from openpyxl import Workbook

from hallq.config_files import ConfigError, load_catalog, load_config, load_hall
from tests.conftest import DEMO_CONFIG


@pytest.fixture
def config(tmp_path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(DEMO_CONFIG, target)
    return target


def edit_hall(config: Path, old: str, new: str) -> None:
    path = config / "hall.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems(call) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        call()
    return caught.value.problems


def test_the_shipped_demo_config_is_valid():
    hall, items = load_config(DEMO_CONFIG)
    assert len(hall.departments) >= 10 and len(hall.queues) >= 6 and len(hall.windows) >= 12
    assert len(hall.kiosks) >= 2 and len(hall.keypads) == len(hall.windows)
    assert any(b.kind == "hall" for b in hall.boards)
    assert len(items) >= 60


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('number = 12\nname = "12号税务窗口"\nqueues = ["G"]', 'number = 12\nname = "12号税务窗口"\nqueues = ["Z"]',
         'hall.toml: window 12: serves unknown queue "Z"'),
        ('name = "青山县政务服务中心"', "", "hall.toml: [hall]: name: is missing"),
        ('timezone = "Asia/Shanghai"', 'timezone = "Asia/Shanghia"', 'hall.toml: [hall]: timezone: unknown time zone "Asia/Shanghia"'),
        ("priority_fairness = 3", "priority_fairnes = 3", "hall.toml: [hall]: priority_fairnes: is not a known setting (check its spelling)"),
        ('printer = "dummy:"', 'printer = "lpt://1"', 'hall.toml: kiosk \'K1\': printer: unknown printer type "lpt": use one of serial, usb, tcp, file, dummy'),
        ('printer = "dummy:"', 'printer = "serial:///dev/ttyS0?baudrate=9601"', "hall.toml: kiosk 'K1': printer: serial baudrate 9601 is not one of"),
        ('code = "A"\nname = "户籍业务"', 'code = "a"\nname = "户籍业务"', "hall.toml: queue 'a': code: String should match pattern"),
        ("range = [1, 999]", "range = [999, 1]", "hall.toml: queue 'A': range: must be [first, last]"),
        ('number_format = "{code}{n:03d}"', 'number_format = "{code}{num}"', "hall.toml: queue 'A': number_format: must use {n}"),
        ('number_format = "{code}{n:03d}"', 'number_format = "{code}-No.{n:04d}"', "hall.toml: queue 'A': number_format and range make numbers like 'A-No.0999': at most 8 characters"),
        ("hours = { open = 08:30:00, close = 17:30:00 }", "hours = { open = 17:30:00, close = 08:30:00 }", "hall.toml: [hall]: hours: opens at 17:30 but closes at 08:30"),
        ("[[keypads]]\nid = \"P1\"\nwindow = 1", "[[keypads]]\nid = \"P1\"\nwindow = 61", 'hall.toml: keypad "P1": unknown window 61'),
        ("number = 2\n", "number = 1\n", "hall.toml: window 1 is declared more than once"),
        ("[[notices]]", '[voice]\nclips = "recordings"\n\n[[notices]]', 'hall.toml: voice: clips: no folder "recordings" in the config folder'),
        ("[[notices]]", '[voice]\nrepeat = 4\n\n[[notices]]', "hall.toml: voice: repeat: Input should be less than or equal to 3"),
        ("[[notices]]", '[led]\nport = "/dev/ttyUSB1"\nmodules = [{ window = 61, address = 1 }]\n\n[[notices]]', "hall.toml: led: module for unknown window 61"),
        ("[[notices]]", '[led]\nport = "/dev/ttyUSB1"\nmodules = [{ window = 1, address = 1 }]\ntexts = { called = "请{num}号" }\n\n[[notices]]', "hall.toml: led: texts.called: no field {num}; the fields are {number} {window}"),
        ("keypad_seconds = 60", "keypad_seconds = 2", "hall.toml: evaluation: keypad_seconds: Input should be greater than or equal to 5"),
        ("phone_days = 7", "phone_days = 7\ndefault_after_days = 3", "hall.toml: evaluation: default_after_days (3) must not end the phone rating before phone_days (7)"),
        ("rectify = 10", "rectify = 0", "hall.toml: evaluation: deadlines.rectify: Input should be greater than or equal to 1"),
        ('id = "P1"\nwindow = 1', 'id = "P1"\nwindow = 1\ndevice = "/dev/ttyUSB0"', 'hall.toml: keypad \'P1\': device: "/dev/ttyUSB0" is not a keypad device'),
        ('id = "P1"\nwindow = 1', 'id = "P1"\nwindow = 1\nkeys = { "1" = 6 }', "hall.toml: keypad 'P1': keys: levels go from 1 (非常不满意) to 5 (非常满意)"),
        ('id = "P2"\nwindow = 2', 'id = "P2"\nwindow = 1', "hall.toml: keypads: keypad for window 1 is declared more than once"),
        ('id = "C3"\nwindow = 3', 'id = "C3"\nwindow = 63', 'hall.toml: caller "C3": unknown window 63'),
        ('printer = "dummy:"', 'printer = { url = "usb://0x0416:0x5011", agent = "pc-9" }',
         'hall.toml: kiosk "K1" printer: unknown agent "pc-9" (declare it in [[agents]])'),
        ('id = "P1"\nwindow = 1', 'id = "P1"\nwindow = 1\nagent = "pc-9"', 'hall.toml: keypad "P1": unknown agent "pc-9"'),
        ('guide_printer = "K1"', 'guide_printer = "K9"', 'hall.toml: hall guide_printer: "K9" is no kiosk with a printer'),
        ("[[notices]]", '[[agents]]\nid = "K1"\n\n[[notices]]', "hall.toml: device id 'K1' is declared more than once"),
        ("appointment_days = 90", "appointment_days = 0", "hall.toml: retention: appointment_days: Input should be greater than or equal to 1"),
        ("comment_days = 365", "comment_days = 365.5", "hall.toml: retention: comment_days: Input should be a valid integer"),
        ("holder_days = 30", "holder_days = 30\nname_days = 30", "hall.toml: retention: name_days: is not a known setting"),
        ('name = "青山县政务服务中心"', 'name = "青山县政务服务中心', "hall.toml: Illegal character '\\n' (at line 6, column 18)"),
        ('sessions = ["08:30-12:00", "14:00-17:30"]', 'sessions = ["14:00-17:30", "08:30-12:00"]',
         'hall.toml: calendar: sessions: session "08:30-12:00" begins before the one before it ends: give them in order'),
        ('sessions = ["08:30-12:00", "14:00-17:30"]', 'sessions = ["8:30-12:00"]',
         'hall.toml: calendar: sessions[0]: "8:30-12:00" is not a session such as "08:30-12:00"'),
        ('sessions = ["08:30-12:00", "14:00-17:30"]', 'sessions = ["08:30-12:00"]\nqueues = { Z = { stop_before_close = 10 } }',
         'hall.toml: calendar: queues: unknown queue "Z"'),
        ("queues = { H = 0 }", "queues = { H = -1 }", "hall.toml: booking: queues.H: Input should be greater than or equal to 0"),
    ],
)  # fmt: skip
def test_bad_hall_file_names_the_key(config, old, new, message):
    edit_hall(config, old, new)
    found = problems(lambda: load_hall(config))
    assert any(p.startswith(message) for p in found), found


def test_missing_config_folder_says_where_to_look(tmp_path):
    found = problems(lambda: load_hall(tmp_path / "nowhere"))
    assert found[0].endswith("hall.toml: not found (set HALLQ_CONFIG to the folder holding hall.toml)")


def write_catalog(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def demo_rows() -> list[dict[str, str]]:
    with (DEMO_CONFIG / "catalog.csv").open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("办件类型", "马上办", "办件类型: Input should be 'instant' or 'commitment'"),
        ("队列", "Z", '队列: unknown queue "Z"'),
        ("部门", "不存在的局", '部门: unknown department "不存在的局"'),
        ("承诺时限", "三天", "承诺时限: Input should be a valid integer"),
        ("申报材料", "", "申报材料: is missing"),
        ("主题", "旅游", "主题: unknown topic 旅游"),
    ],
)
def test_bad_catalog_row_names_line_and_column(config, column, value, message):
    rows = demo_rows()
    rows[2][column] = value
    write_catalog(config / "catalog.csv", rows)
    found = problems(lambda: load_config(config))
    assert len(found) == 1, found
    assert found[0].startswith(f"catalog.csv: {_where(rows, 2)} ({rows[2]['事项编码']}): {message}"), found


def _newlines(rows: list[dict[str, str]]) -> int:
    return sum(v.count("\n") for row in rows for v in row.values())


def _where(rows: list[dict[str, str]], index: int) -> str:
    """The first line of record `index`: after the header and every line of the records before."""
    return f"line {1 + index + 1 + _newlines(rows[:index])}"


def test_duplicate_code_and_missing_column(config):
    rows = demo_rows()
    rows[5]["事项编码"] = rows[1]["事项编码"]
    write_catalog(config / "catalog.csv", rows)
    found = problems(lambda: load_config(config))
    assert len(found) == 1 and f"事项编码: {rows[1]['事项编码']} already used at line" in found[0]
    write_catalog(config / "catalog.csv", [{k: v for k, v in r.items() if k != "办理流程"} for r in rows])
    assert problems(lambda: load_config(config)) == ["catalog.csv: header: missing column 办理流程"]


def test_xlsx_catalog_reports_rows(config):
    rows = demo_rows()[:3]
    rows[1]["队列"] = "Q"
    book = Workbook()
    sheet = book.active
    sheet.append(list(rows[0]))
    for row in rows:
        sheet.append(list(row.values()))
    book.save(config / "items.xlsx")
    found = problems(lambda: load_catalog(config / "items.xlsx", load_hall(config)))
    assert found == [f'items.xlsx: row 3 ({rows[1]["事项编码"]}): 队列: unknown queue "Q"']
    rows[1]["队列"] = "A"
    sheet.delete_rows(3)
    sheet.insert_rows(3)
    for col, value in enumerate(rows[1].values(), start=1):
        sheet.cell(row=3, column=col, value=value)
    book.save(config / "items.xlsx")
    assert [i.code for i in load_catalog(config / "items.xlsx", load_hall(config))] == [
        r["事项编码"] for r in rows
    ]


def test_catalog_saved_by_excel_as_gb18030_is_read(config):
    rows = demo_rows()[:2]
    with (config / "gbk.csv").open("w", encoding="gb18030", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    items = load_catalog(config / "gbk.csv", load_hall(config))
    assert items[0].name == rows[0]["事项名称"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("<svg ", '<!DOCTYPE svg [<!ENTITY x "y">]><svg '), "hall-map.svg: XML entities and external references are not allowed"),
        (('id="window-16"', 'id="window-61"'), 'hall-map.svg: id="window-61": the hall has no window 61'),
        (("</svg>", ""), "hall-map.svg: not well-formed SVG"),
    ],
)  # fmt: skip
def test_bad_floor_plan_is_named(config, change, message):
    path = config / "hall-map.svg"
    old, new = change
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    found = problems(lambda: load_hall(config))
    assert any(p.startswith(message) for p in found), found


def test_missing_floor_plan(config):
    (config / "hall-map.svg").unlink()
    assert problems(lambda: load_hall(config)) == [
        "hall.toml: [hall]: map: hall-map.svg not found in the config folder"
    ]


def test_a_bad_kiosk_rate_is_named(config):
    edit_hall(
        config,
        'id = "K1"\nname = "大厅入口取号机"',
        'id = "K1"\nname = "大厅入口取号机"\nrate_limit = "lots"',
    )
    found = problems(lambda: load_hall(config))
    assert found == [
        'hall.toml: kiosk \'K1\': rate_limit: "lots" is not a rate such as "30/minute" or "5 per second"'
    ]


def test_a_csv_cell_written_inert_reads_back_as_typed():
    from hallq.present.spreadsheet import csv_cell, from_csv_cell

    for typed in ("=1+1", "-身份证原件", "+86 电话", "@备注", "普通文本", "'引号开头"):
        written = csv_cell(typed)
        assert not str(written).startswith(("=", "+", "-", "@"))
        assert from_csv_cell(written) == typed
    assert from_csv_cell(None) is None  # a short row's missing cell


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[days]]\ndate = 2027-01-01\n", "calendar.toml: days[0] (2027-01-01): 2027-01-01: give closed = true, workday = true or sessions"),
        ("[[days]]\ndate = 2027-01-01\nclosed = true\nsessions = [\"08:30-12:00\"]\n", "calendar.toml: days[0] (2027-01-01): 2027-01-01: a closed day has no workday or sessions"),
        ("[[days]]\ndate = 2027-01-01\nclosed = true\n[[days]]\ndate = 2027-01-01\nworkday = true\n", "calendar.toml: days: 2027-01-01: given more than once"),
        ("[[days]]\ndate = 2027-01-01\nclosed = true\nreasn = \"元旦\"\n", "calendar.toml: days[0] (2027-01-01): reasn: is not a known setting"),
        ("[[days]]\ndate = \"next friday\"\nclosed = true\n", "calendar.toml: days[0] (next friday): date: Input should be a valid date"),
        ("sessions = [\"08:30-12:00\"]\n", "calendar.toml: sessions: is not a known setting"),
        ("[[days]\n", "calendar.toml: "),
    ],
)  # fmt: skip
def test_a_bad_calendar_file_names_the_entry(config, text, message):
    (config / "calendar.toml").write_text(text, encoding="utf-8")
    found = problems(lambda: load_hall(config))
    assert any(p.startswith(message) for p in found), found


def test_the_calendar_files_days_reach_the_hall(config):
    (config / "calendar.toml").write_text(
        '[[days]]\ndate = 2027-01-01\nclosed = true\nreason = "元旦"\n', encoding="utf-8"
    )
    days = load_hall(config).full_calendar().days
    assert [(str(d.date), d.closed, d.reason) for d in days] == [("2027-01-01", True, "元旦")]


def test_voice_guidance_is_off_unless_a_kiosk_turns_it_on(config):
    hall, _ = load_config(config)
    assert {k.id: k.voice_guidance for k in hall.kiosks} == {"K1": False, "K2": True}  # as the demo says
    edit_hall(config, "voice_guidance = true", "")
    hall, _ = load_config(config)
    assert {k.id: k.voice_guidance for k in hall.kiosks} == {"K1": False, "K2": False}


@pytest.mark.parametrize("value", ['"yes"', "1", '"on"', '"true"'])
def test_a_malformed_voice_guidance_is_refused_by_name(config, value):
    edit_hall(
        config,
        'id = "K1"\nname = "大厅入口取号机"',
        f'id = "K1"\nname = "大厅入口取号机"\nvoice_guidance = {value}',
    )
    assert problems(lambda: load_hall(config)) == [
        f"hall.toml: kiosk 'K1': voice_guidance: give true or false (without quotes), not {value}"
    ]
