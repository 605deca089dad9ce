"""Reading config/: hall.toml and the catalogue (CSV or XLSX). Every problem is reported with
its file and the line, row or key, in words a hall's IT person can fix:

    hall.toml: window 12: serves unknown queue "Z"
    catalog.csv: line 14 (GA003): 办件类型: Input should be 'instant' or 'commitment'
"""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from printer_driver.fonts import FontMissing, find_cjk_font
from printer_driver.layout import DEFAULT_LAYOUT, LayoutError, load_layout
from queue_core.spec import ENGLISH_LISTS, CalendarDay, CalendarFile, HallSpec, ItemSpec

from .i18n import _n
from .present.spreadsheet import csv_cell, from_csv_cell, xlsx_as_text
from .present.svg_sanitiser import PlanRefused, sanitise

HALL_FILE = "hall.toml"
CALENDAR_FILE = "calendar.toml"

# Catalogue column headers (Chinese, as managers keep them in Excel) → ItemSpec fields.
CATALOG_COLUMNS = {
    "事项编码": "code",
    "事项名称": "name",
    "英文名称": "name_en",
    "部门": "department",
    "队列": "queue",
    "办件类型": "kind",
    "法定时限": "legal_limit_days",
    "承诺时限": "promised_limit_days",
    "服务对象": "applicant",
    "设立依据": "basis",
    "申报材料": "materials",
    "办理条件": "conditions",
    "办理流程": "procedure",
    "收费标准": "fees",
    "收费依据": "fee_basis",
    "窗口权限": "authority",
    "主题": "topics",
    "关键词": "keywords",
    "英文服务对象": "applicant_en",
    "英文设立依据": "basis_en",
    "英文申报材料": "materials_en",
    "英文办理条件": "conditions_en",
    "英文办理流程": "procedure_en",
    "英文收费标准": "fees_en",
    "英文收费依据": "fee_basis_en",
    "英文窗口权限": "authority_en",
}
FIELD_HEADERS = {field: header for header, field in CATALOG_COLUMNS.items()}
REQUIRED_COLUMNS = ("事项编码", "事项名称", "部门", "队列", "办件类型", "设立依据", "申报材料", "办理流程")


# How an entry of each list in hall.toml is named in messages: "window 12", "queue 'A'".
SECTION_KEYS = {
    "windows": ("window", "number"),
    "queues": ("queue", "code"),
    "departments": ("department", "code"),
    "kiosks": ("kiosk", "id"),
    "boards": ("board", "id"),
    "keypads": ("keypad", "id"),
    "callers": ("caller", "id"),
    "notices": ("notice", "title"),
}


class ConfigError(Exception):
    """One or more problems, each already prefixed with its file."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_hall(config_dir: Path) -> HallSpec:
    path = Path(config_dir) / HALL_FILE
    if not path.is_file():
        raise ConfigError([f"{path}: not found (set HALLQ_CONFIG to the folder holding {HALL_FILE})"])
    data = _toml(path)
    try:
        spec = HallSpec.model_validate(data)
    except ValidationError as exc:
        problems = [f"{HALL_FILE}: {_where(data, err['loc'])}{_what(err)}" for err in exc.errors()]
        raise ConfigError(problems) from exc
    problems = [f"{HALL_FILE}: {p}" for p in spec.reference_problems()]
    if spec.hall.map:
        problems += map_problems(Path(config_dir) / spec.hall.map, {w.number for w in spec.windows})
    problems += printing_problems(spec, Path(config_dir))
    if spec.voice.clips and not (Path(config_dir) / spec.voice.clips).is_dir():
        problems.append(f'{HALL_FILE}: voice: clips: no folder "{spec.voice.clips}" in the config folder')
    if problems:
        raise ConfigError(problems)
    days = load_calendar_days(Path(config_dir))
    if not days:
        return spec
    if spec.calendar.days:
        raise ConfigError([f"{HALL_FILE}: calendar: days: give the dated days in {CALENDAR_FILE} only"])
    return spec.model_copy(update={"calendar": spec.calendar.model_copy(update={"days": days})})


def load_calendar_days(config_dir: Path) -> list[CalendarDay]:
    """The hall's dated exceptions, from calendar.toml where there is one (docs/calendar.md)."""
    path = Path(config_dir) / CALENDAR_FILE
    if not path.is_file():
        return []
    data = _toml(path)
    try:
        return CalendarFile.model_validate(data).days
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = list(err["loc"])
            if loc[:1] == ["days"] and len(loc) > 1 and isinstance(loc[1], int):
                entry = data["days"][loc[1]] if loc[1] < len(data.get("days", [])) else {}
                when = entry.get("date") if isinstance(entry, dict) else None
                loc[:2] = [f"days[{loc[1]}]" + (f" ({when})" if when is not None else "")]
            where = ": ".join(str(part) for part in loc)
            problems.append(f"{CALENDAR_FILE}: {where + ': ' if where else ''}{_what(err)}")
        raise ConfigError(problems) from exc


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        # tomllib quotes the offending character itself, which may be a newline.
        raise ConfigError([f"{path.name}: " + str(exc).replace("\n", "\\n")]) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path.name}: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from exc


def layout_path(spec: HallSpec, config_dir: Path) -> Path:
    return Path(config_dir) / spec.printing.layout if spec.printing.layout else DEFAULT_LAYOUT


def font_path(spec: HallSpec, config_dir: Path) -> str | None:
    """The configured CJK font, relative to the config folder like every other file it names."""
    return str(Path(config_dir) / spec.printing.font) if spec.printing.font else None


def printing_problems(spec: HallSpec, config_dir: Path) -> list[str]:
    """The layout must load, and image-mode printers need a CJK font on this machine."""
    problems = []
    try:
        load_layout(layout_path(spec, config_dir))
    except LayoutError as exc:
        problems.append(str(exc))
    for kiosk in spec.kiosks:
        for role, printer in (("printer", kiosk.printer), ("backup_printer", kiosk.backup_printer)):
            if printer is not None and printer.mode == "image":
                try:
                    find_cjk_font(font_path(spec, config_dir))
                except FontMissing as exc:
                    problems.append(f"{HALL_FILE}: kiosk {kiosk.id!r}: {role}: {exc}")
    return problems


def map_problems(path: Path, windows: set[int]) -> list[str]:
    """The floor plan must be an SVG drawing whose window shapes name real windows."""
    if not path.is_file():
        return [f"{HALL_FILE}: [hall]: map: {path.name} not found in the config folder"]
    return svg_problems(path.name, path.read_bytes(), windows)


def svg_problems(
    name: str, data: bytes, windows: set[int], translate: Callable[[str], str] = str
) -> list[str]:
    """Why a floor plan cannot be taken (check-config's, in English, and an upload's, in the
    manager's language with translate=gettext). Scripts and the like are no reason: the kiosks
    show the plan as hallq.present.svg_sanitiser rebuilds it, without them (map_removals)."""
    try:
        plan = sanitise(data)
    except PlanRefused as exc:
        return [translate(PLAN_REFUSALS[exc.reason]) % {"name": name, "detail": exc.detail}]
    problems = []
    for ident in sorted(plan.ids):
        if ident.startswith("window-"):
            number = ident.removeprefix("window-")
            if not number.isdigit() or int(number) not in windows:
                problems.append(
                    translate(_n('%(name)s: id="%(id)s": the hall has no window %(number)s'))
                    % {"name": name, "id": ident, "number": number}
                )
    return problems


# Why each kind of thing was left out (hallq.present.svg_sanitiser.Removal.kind), in words for
# the manager's page; the API answers them in English, the page translates them.
PLAN_REMOVAL_REASONS = {
    "element": _n("element not kept: a plan keeps only shapes, text, groups, gradients, clips and filters"),
    "attribute": _n(
        "attribute not kept: event handlers, other namespaces and unknown attributes are left out"
    ),
    "link": _n("link not kept: a plan may link only to a part of itself (#id)"),
    "value": _n("value not kept: it could load or run something"),
}


PLAN_REFUSALS = {
    "not_xml": _n("%(name)s: not well-formed SVG: %(detail)s"),
    "entities": _n("%(name)s: XML entities and external references are not allowed (%(detail)s)"),
    "not_svg": _n("%(name)s: the root element is not <svg> in the SVG namespace; it is <%(detail)s>"),
}


def map_removals(config_dir: Path, spec: HallSpec) -> list[str]:
    """What the kiosks leave out of the config folder's floor plan, for `hallq check-config`."""
    if not spec.hall.map:
        return []
    path = Path(config_dir) / spec.hall.map
    return [
        f"{path.name}: left out {r.what}"
        + (f" ×{r.count}" if r.count > 1 else "")
        + f": {PLAN_REMOVAL_REASONS[r.kind]}"
        for r in sanitise(path.read_bytes()).removed
    ]


def _where(data: dict[str, Any], loc: tuple[int | str, ...]) -> str:
    """'window 12: queues[0].code: ' for ('windows', 3, 'queues', 0, 'code')."""
    if not loc:
        return ""
    loc = _written(data, loc)
    parts: list[str] = []
    rest = list(loc)
    section = rest.pop(0)
    if section in SECTION_KEYS and rest and isinstance(index := rest[0], int):
        rest.pop(0)
        label, key = SECTION_KEYS[str(section)]
        entries = data.get(str(section), [])
        entry = entries[index] if isinstance(entries, list) and index < len(entries) else {}
        ident = entry.get(key) if isinstance(entry, dict) else None
        parts.append(f"{label} {ident!r}" if ident is not None else f"{section}[{index}]")
    else:
        parts.append(f"[{section}]" if section == "hall" else str(section))
    tail = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in rest).lstrip(".")
    return ": ".join([*parts, tail] if tail else parts) + ": "


def _written(data: Any, loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """The location as the file writes it: `printer = "lpt://1"` is reported at printer, not
    at the printer.url that the string stands for."""
    value = data
    for depth, part in enumerate(loc):
        if isinstance(value, str):
            return loc[:depth]
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            break
    return loc


def _what(err: Any) -> str:
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "missing":
        return "is missing"
    if err["type"] == "extra_forbidden":
        return "is not a known setting (check its spelling)"
    return message


def load_catalog(path: Path, hall: HallSpec | None = None) -> list[ItemSpec]:
    """Read a catalogue CSV (UTF-8, with or without BOM; or GB18030 as Excel saves it) or XLSX."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError([f"{path}: not found"])
    rows: Sequence[tuple[str, Mapping[str, str | None]]]
    if path.suffix.lower() == ".xlsx":
        rows = _xlsx_rows(path)
    elif path.suffix.lower() == ".csv":
        rows = _csv_rows(path)
    else:
        raise ConfigError([f"{path.name}: a catalogue is a .csv or .xlsx file"])
    return _validate_rows(path.name, rows, hall)


def _csv_rows(path: Path) -> list[tuple[str, dict[str, str | None]]]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise ConfigError([f"{path.name}: not UTF-8 or GB18030 text"])
    reader = csv.DictReader(io.StringIO(text, newline=""))
    _check_header(path.name, reader.fieldnames or [])
    rows = []
    first_line = reader.line_num + 1  # a quoted cell may span lines: name the row's first
    for record in reader:
        rows.append((f"line {first_line}", {k: from_csv_cell(v) for k, v in record.items() if k is not None}))
        first_line = reader.line_num + 1
    return rows


def _xlsx_rows(path: Path) -> list[tuple[str, dict[str, str]]]:
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
        # Read-only sheets are parsed as they are read: a damaged one fails here.
        values = list(sheet.iter_rows(values_only=True))
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise ConfigError([f"{path.name}: not a readable Excel workbook ({exc})"]) from exc
    if not values:
        raise ConfigError([f"{path.name}: the first sheet is empty"])
    header = [str(h).strip() if h is not None else "" for h in values[0]]
    _check_header(path.name, header)
    rows = []
    for number, row in enumerate(values[1:], start=2):
        if all(cell in (None, "") for cell in row):
            continue
        record = {h: "" if v is None else str(v) for h, v in zip(header, row, strict=False) if h}
        rows.append((f"row {number}", record))
    return rows


def _check_header(filename: str, header: Sequence[str]) -> None:
    missing = [h for h in REQUIRED_COLUMNS if h not in header]
    if missing:
        raise ConfigError([f"{filename}: header: missing column {', '.join(missing)}"])


def _validate_rows(
    filename: str, rows: Sequence[tuple[str, Mapping[str, str | None]]], hall: HallSpec | None
) -> list[ItemSpec]:
    problems: list[str] = []
    items: list[ItemSpec] = []
    seen: dict[str, str] = {}
    departments = {d.code for d in hall.departments} | {d.name for d in hall.departments} if hall else None
    queues = {q.code for q in hall.queues} if hall else None
    for where, record in rows:
        data = {CATALOG_COLUMNS[h]: (v or "").strip() for h, v in record.items() if h in CATALOG_COLUMNS}
        data = {k: v for k, v in data.items() if v != "" or k in ("code", "name")}
        label = f"{filename}: {where}" + (f" ({data['code']})" if data.get("code") else "")
        try:
            item = ItemSpec.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                field = err["loc"][0] if err["loc"] else None
                column = f"{FIELD_HEADERS.get(str(field), field)}: " if field else ""
                problems.append(f"{label}: {column}{_what(err)}")
            continue
        if item.code in seen:
            problems.append(f"{label}: 事项编码: {item.code} already used at {seen[item.code]}")
        seen[item.code] = where
        if departments is not None and item.department not in departments:
            problems.append(f'{label}: 部门: unknown department "{item.department}"')
        if queues is not None and item.queue not in queues:
            problems.append(f'{label}: 队列: unknown queue "{item.queue}"')
        items.append(item)
    if problems:
        raise ConfigError(problems)
    if not items:
        raise ConfigError([f"{filename}: has no items"])
    return items


# The catalogue as written back out (hallq export, the administration's download): the columns
# and cell formats load_catalog reads, so that an export imports again unchanged.
KIND_WORDS = {"instant": "即办件", "commitment": "承诺件"}
LIST_SEPARATORS = {
    "basis": "\n",
    "materials": "\n",
    "conditions": "\n",
    "procedure": "\n",
    **{f"{name}_en": "\n" for name in ENGLISH_LISTS},
    "topics": "、",
    "keywords": "、",
}


def write_catalog(items: list[ItemSpec], file_format: str) -> bytes:
    """The items as a catalogue CSV (UTF-8 with a BOM, which Excel opens as such) or XLSX."""
    records = [_cells(item) for item in items]
    return _xlsx_bytes(records) if file_format == "xlsx" else _csv_bytes(records)


def _cells(item: ItemSpec) -> list[str | int]:
    data = item.model_dump(mode="json")
    data["kind"] = KIND_WORDS[data["kind"]]
    for field, separator in LIST_SEPARATORS.items():
        data[field] = separator.join(data[field])
    return [data[field] for field in CATALOG_COLUMNS.values()]


def _csv_bytes(records: list[list[str | int]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(CATALOG_COLUMNS)
    writer.writerows([[csv_cell(value) for value in record] for record in records])
    return out.getvalue().encode("utf-8-sig")


def _xlsx_bytes(records: list[list[str | int]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.worksheets[0]  # a new workbook's one sheet (book.active may be a chart sheet or none)
    sheet.append(list(CATALOG_COLUMNS))
    for record in records:
        sheet.append(record)
    xlsx_as_text(sheet)  # text a manager typed, never a formula Excel would run
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def load_config(config_dir: Path) -> tuple[HallSpec, list[ItemSpec]]:
    """The hall and its catalogue, every problem in both reported together."""
    hall = load_hall(config_dir)
    return hall, load_catalog(Path(config_dir) / hall.hall.catalog, hall)
