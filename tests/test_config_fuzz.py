"""The config loaders fuzzed with Hypothesis: hall.toml and the catalogue (CSV and XLSX) as a
hall's IT person might get them wrong, and as garbage. Whatever the file holds, loading either
works or raises ConfigError whose every problem names its file (and the line or row, where the
file has lines); never another exception."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from hallq.config_files import CATALOG_COLUMNS, ConfigError, load_catalog, load_hall
from tests.conftest import DEMO_CONFIG

HALL_TOML = (DEMO_CONFIG / "hall.toml").read_text(encoding="utf-8")
HALL_LINES = HALL_TOML.splitlines(keepends=True)
SETTING = re.compile(r"^(\s*[\w\"-]+\s*=\s*)")  # `key = ` at the start of a line
CATALOG_CSV = (DEMO_CONFIG / "catalog.csv").read_text(encoding="utf-8-sig")
CATALOG_ROWS = list(csv.reader(io.StringIO(CATALOG_CSV, newline="")))
DEMO_HALL = load_hall(DEMO_CONFIG)
# Derandomised: CI tries the same examples every time; raise max_examples by hand to dig deeper.
FUZZ = settings(
    max_examples=200, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# Values as a person types them after `key = `: well-formed TOML of the wrong kind or range,
# and not-quite TOML.
toml_values = st.one_of(
    st.sampled_from(
        ['""', "0", "-1", "99999999999999999999", "1e400", "nan", "true", "[]", "{}", '["Z"]', "[1, 2]",
         "08:30:00", "2026-01-01", '"\\u0000"', '"../../etc"', '"dummy:"', '{ open = 1 }', "[[1]]", "'",
         '"""', "= 1", "[", ""]
    ),
    st.integers().map(str),
    st.text(max_size=20).map(lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'),
)  # fmt: skip


@st.composite
def edited_hall_toml(draw) -> str:
    """The demo hall.toml with a few lines changed: mostly a setting's value replaced, else a
    line dropped, doubled or replaced by anything."""
    lines = list(HALL_LINES)
    for _ in range(draw(st.integers(1, 4))):
        settings_lines = [i for i, line in enumerate(lines) if SETTING.match(line)]
        action = draw(st.sampled_from(["value", "value", "value", "drop", "double", "text"]))
        if action == "value" and settings_lines:
            index = draw(st.sampled_from(settings_lines))
            lines[index] = SETTING.match(lines[index]).group(1) + draw(toml_values) + "\n"
            continue
        index = draw(st.integers(0, len(lines) - 1))
        if action == "drop" and len(lines) > 1:
            del lines[index]
        elif action == "double":
            lines.insert(index, lines[index])
        else:
            lines[index] = draw(st.text(max_size=40)) + "\n"
    return "".join(lines)


def assert_named(exc: ConfigError, names: tuple[str, ...]) -> None:
    assert exc.problems
    for problem in exc.problems:
        assert problem.startswith(tuple(f"{name}: " for name in names)), problem
        assert "Traceback" not in problem


def load_hall_text(folder: Path, data: bytes) -> None:
    (folder / "hall.toml").write_bytes(data)
    try:
        load_hall(folder)
    except ConfigError as exc:
        # The files hall.toml names (its floor plan, the ticket layout) report under their names.
        assert_named(exc, ("hall.toml", "hall-map.svg", "layout.toml"))
        for problem in exc.problems:
            if "TOML" in problem or "(at line" in problem:
                assert re.search(r"line \d+", problem), problem


@FUZZ
@given(text=edited_hall_toml())
def test_any_edit_of_hall_toml_loads_or_is_named(tmp_path_factory, text):
    folder = tmp_path_factory.mktemp("hall")
    (folder / "hall-map.svg").write_bytes((DEMO_CONFIG / "hall-map.svg").read_bytes())
    load_hall_text(folder, text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(data=st.binary(max_size=300) | st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_garbage_for_hall_toml_is_named(tmp_path_factory, data):
    load_hall_text(tmp_path_factory.mktemp("hall"), data)


# -- the catalogue --------------------------------------------------------------------------

cells = st.one_of(
    st.sampled_from(
        ["", "GA", "A", "承诺件", "即办件", "commitment", "0", "-3", "1e9", "a\nb", '"', "婚姻,出生"]
    ),
    st.text(max_size=30),
)


@st.composite
def catalog_tables(draw) -> list[list[str]]:
    """The demo catalogue's header (columns perhaps dropped, doubled or renamed) over demo
    rows with cells replaced, and rows cut short or running long."""
    header = list(CATALOG_ROWS[0])
    if draw(st.booleans()):
        header[draw(st.integers(0, len(header) - 1))] = draw(st.sampled_from([*CATALOG_COLUMNS, "", "事项"]))
    rows = [list(row) for row in draw(st.lists(st.sampled_from(CATALOG_ROWS[1:]), max_size=4))]
    for row in rows:
        for _ in range(draw(st.integers(0, 3))):
            row[draw(st.integers(0, len(row) - 1))] = draw(cells)
        if draw(st.booleans()):
            del row[draw(st.integers(0, len(row))) :]
        if draw(st.booleans()):
            row += draw(st.lists(cells, max_size=3))
    return [header, *rows]


def load_catalog_file(path: Path) -> None:
    try:
        load_catalog(path, DEMO_HALL)
    except ConfigError as exc:
        assert_named(exc, (path.name,))
        kind = "row" if path.suffix == ".xlsx" else "line"
        for problem in exc.problems:
            rest = problem.removeprefix(f"{path.name}: ")
            # A problem is the file's as a whole (its header, its sheet, its encoding) or a row's.
            assert rest.startswith((f"{kind} ", "header:", "has no items", "not ", "the first sheet")), (
                problem
            )


@FUZZ
@given(table=catalog_tables(), encoding=st.sampled_from(["utf-8-sig", "utf-8", "gb18030"]))
def test_any_catalog_csv_loads_or_is_named(tmp_path_factory, table, encoding):
    path = tmp_path_factory.mktemp("catalog") / "catalog.csv"
    text = io.StringIO(newline="")
    csv.writer(text, lineterminator="\r\n").writerows(table)
    path.write_bytes(text.getvalue().encode(encoding, "replace"))
    load_catalog_file(path)


@FUZZ
@given(data=st.binary(max_size=400) | st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_garbage_for_catalog_csv_is_named(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("catalog") / "catalog.csv"
    path.write_bytes(CATALOG_CSV.splitlines(keepends=True)[0].encode() + data)
    load_catalog_file(path)


xlsx_cells = st.one_of(
    cells.map(lambda s: re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", s)),  # what a sheet can hold
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.dates(),
    st.just("=1/0"),
)


@FUZZ
@given(
    table=catalog_tables(), replaced=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 20), xlsx_cells))
)
def test_any_catalog_xlsx_loads_or_is_named(tmp_path_factory, table, replaced):
    book = Workbook()
    for row in table:
        book.active.append([re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", cell) for cell in row])
    for row, column, value in replaced:
        book.active.cell(row=row + 1, column=column + 1, value=value)
    path = tmp_path_factory.mktemp("catalog") / "items.xlsx"
    book.save(path)
    load_catalog_file(path)


@FUZZ
@given(cut=st.integers(0, 10_000), garbage=st.binary(min_size=1, max_size=40), member=st.integers(0, 20))
def test_a_damaged_xlsx_is_named(tmp_path_factory, cut, garbage, member):
    """A workbook cut short, or one of its parts overwritten inside an intact zip."""
    book = Workbook()
    for row in CATALOG_ROWS[:3]:
        book.active.append(row)
    whole = io.BytesIO()
    book.save(whole)
    path = tmp_path_factory.mktemp("catalog") / "items.xlsx"
    if member % 2:
        path.write_bytes(whole.getvalue()[: cut % len(whole.getvalue())] + garbage)
    else:
        damaged = io.BytesIO()
        with zipfile.ZipFile(whole) as source, zipfile.ZipFile(damaged, "w") as target:
            names = source.namelist()
            spoilt = names[member % len(names)]
            for name in names:
                content = source.read(name)
                target.writestr(
                    name, content[: cut % (len(content) + 1)] + garbage if name == spoilt else content
                )
        path.write_bytes(damaged.getvalue())
    load_catalog_file(path)
