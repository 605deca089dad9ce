"""The printed ticket and one-time notice as the hall lays them out (layout.toml), and the
laid-out lines a renderer draws: wrapping happens here, once, in printer columns (a Chinese
character takes two, a Latin letter one), so text and image modes break lines alike."""

from __future__ import annotations

import string
import tomllib
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal, TypeGuard

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DEFAULT_LAYOUT = Path(__file__).with_name("layout.toml")

TICKET_FIELDS = frozenset(
    {"hall_name", "number", "queue_name", "item_name", "ahead", "issued_at", "windows", "phone_url"}
    | {"kiosk_name", "priority", "reprint"}
)
NOTICE_FIELDS = frozenset(
    {"hall_name", "item_name", "department", "time_limit", "fees", "windows", "issued_at", "reprint"}
)
NOTICE_LISTS = frozenset({"materials", "conditions", "basis", "procedure"})
# A window's written notice (一次性告知书, 不予受理告知书, 受理通知单): one layout for the three,
# each drawing the fields it has.
LETTER_FIELDS = frozenset(
    {"hall_name", "title", "notice_number", "ticket_number", "item_name", "department", "reason"}
    | {"time_limit", "completion_date", "window", "clerk", "issued_on", "closing", "reprint"}
)
LETTER_LISTS = frozenset({"materials"})
# Never at the start of a line in Chinese typesetting (避头点): carried back onto the line before.
NO_LINE_START = frozenset("，。、；：？！）》」』】〕,.;:?!)%")

Kind = Literal["ticket", "notice", "letter"]
FieldValue = str | int | Sequence[str] | None


class LayoutError(ValueError):
    """A layout file that cannot be used; the message names the file, block and key."""


class Block(BaseModel):
    """One thing on the paper: exactly one of text, list, qr, logo, rule or feed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str | None = None
    list: str | None = Field(None, description="A list field, one numbered entry each")
    title: str | None = Field(None, description="A list's heading, printed only when it has entries")
    qr: str | None = None
    logo: bool = False
    rule: bool = False
    feed: int = Field(0, ge=0, le=10)
    align: Literal["left", "center", "right"] = "left"
    size: int = Field(1, ge=1, le=8, description="Character width and height, 1 (normal) to 8")
    bold: bool = False
    fit: bool = Field(False, description="Shrink the size until the text fits on one line")

    @model_validator(mode="after")
    def _one_kind(self) -> Block:
        kinds = [k for k in ("text", "list", "qr", "logo", "rule", "feed") if getattr(self, k)]
        if len(kinds) != 1:
            raise ValueError(
                f"a block is exactly one of text, list, qr, logo, rule, feed (this one: {kinds})"
            )
        return self


class Layout(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    ticket: tuple[Block, ...] = Field(min_length=1)
    notice: tuple[Block, ...] = Field(min_length=1)
    # A hall's own layout file written before the window's notices gets the built-in one.
    letter: tuple[Block, ...] = ()
    logo: str = Field("", description="A picture for logo blocks in image mode (PNG), beside the layout file")
    source: str = "layout.toml"

    def blocks(self, kind: str) -> tuple[Block, ...]:  # a Kind; a print record's kind is its column's str
        if kind == "letter":
            return self.letter or built_in_layout().letter
        return self.ticket if kind == "ticket" else self.notice

    @property
    def logo_path(self) -> Path | None:
        return Path(self.source).with_name(self.logo) if self.logo else None


def load_layout(path: Path = DEFAULT_LAYOUT) -> Layout:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        layout = Layout.model_validate({**raw, "source": str(path)})
    except OSError as exc:
        raise LayoutError(f"{path.name}: cannot read it: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise LayoutError(f"{path.name}: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = _where(first["loc"])
        raise LayoutError(f"{path.name}: {where}: {first['msg']}") from exc
    problems = [f"{path.name}: {p}" for p in _field_problems(layout)]
    if layout.logo_path and not layout.logo_path.is_file():
        problems.append(f'{path.name}: logo "{layout.logo}" is not a file beside it')
    if problems:
        raise LayoutError("; ".join(problems))
    return layout


@lru_cache(maxsize=1)
def built_in_layout() -> Layout:
    return load_layout(DEFAULT_LAYOUT)


def _where(loc: tuple[int | str, ...]) -> str:
    if len(loc) >= 2 and isinstance(loc[1], int):
        rest = ".".join(str(part) for part in loc[2:])
        return f"{loc[0]} block {loc[1] + 1}" + (f": {rest}" if rest else "")
    return ".".join(str(part) for part in loc)


def _field_problems(layout: Layout) -> Iterator[str]:
    kinds = (
        ("ticket", TICKET_FIELDS, ()),
        ("notice", NOTICE_FIELDS, NOTICE_LISTS),
        ("letter", LETTER_FIELDS, LETTER_LISTS),
    )
    for kind, allowed, lists in kinds:
        for number, block in enumerate(layout.blocks(kind), start=1):
            for template in (block.text, block.qr, block.title):
                for name in field_names(template or ""):
                    if name not in allowed:
                        yield f"{kind} block {number}: unknown field {{{name}}} (known: {', '.join(sorted(allowed))})"
            if block.list is not None and block.list not in lists:
                known = ", ".join(sorted(lists)) or "none on a ticket"
                yield f'{kind} block {number}: unknown list "{block.list}" (known: {known})'


def field_names(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


# What a renderer draws, in paper order.
@dataclass(frozen=True)
class Line:
    text: str
    size: int = 1
    bold: bool = False
    align: str = "left"


@dataclass(frozen=True)
class QrCode:
    data: str
    align: str = "center"


@dataclass(frozen=True)
class Logo:
    pass


@dataclass(frozen=True)
class Rule:
    pass


@dataclass(frozen=True)
class Feed:
    lines: int


Element = Line | QrCode | Logo | Rule | Feed


def lay_out(blocks: Sequence[Block], fields: Mapping[str, FieldValue], columns: int) -> list[Element]:
    """Fill the blocks with one document's fields and wrap the text to the paper's columns."""
    values = {name: _printable(value) for name, value in fields.items() if not _is_list(value)}
    elements: list[Element] = []
    for block in blocks:
        width = max(columns // block.size, 1)
        if block.text is not None:
            names = field_names(block.text)
            if names and all(values.get(n, "") == "" for n in names):
                continue  # "办理事项：{item_name}" with no item
            text = block.text.format_map(_Missing(values))
            size = block.size
            while block.fit and size > 1 and text_columns(text) * size > columns:
                size -= 1
            width = max(columns // size, 1)
            elements += [Line(part, size, block.bold, block.align) for part in wrap(text, width)]
        elif block.list is not None:
            listed = fields.get(block.list)
            entries = [_printable(entry) for entry in listed] if _is_list(listed) else []
            if not entries:
                continue
            if block.title:
                elements.append(Line(block.title.format_map(_Missing(values)), block.size, True, block.align))
            for number, entry in enumerate(entries, start=1):
                elements += [
                    Line(part, block.size, block.bold, block.align)
                    for part in wrap(entry, width, first_prefix=f"{number}. ")
                ]
        elif block.qr is not None:
            data = block.qr.format_map(_Missing(values))
            if data:
                elements.append(QrCode(data, block.align))
        elif block.logo:
            elements.append(Logo())
        elif block.rule:
            elements.append(Rule())
        else:
            elements.append(Feed(block.feed))
    return elements


# Every character of every ticket is measured, a few hundred per ticket: each is looked up in
# the Unicode tables once per process.
@lru_cache(maxsize=8192)
def char_columns(char: str) -> int:
    """Printer columns a character takes: Chinese and full-width forms take two. Ambiguous
    characters (①, —, ·) are full width in the GB fonts Chinese printers carry."""
    if ord(char) < 0x80:
        return 1
    return 1 if unicodedata.east_asian_width(char) in ("H", "Na") else 2


def text_columns(text: str) -> int:
    if text.isascii():
        return len(text)
    return sum(map(char_columns, text))


def wrap(text: str, columns: int, first_prefix: str = "") -> list[str]:
    """Break text into lines of at most `columns`; Latin words stay whole where they fit, a
    list entry's following lines are indented under its first."""
    indent = " " * text_columns(first_prefix)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = (
            first_prefix if not lines else indent,
            text_columns(first_prefix if not lines else indent),
        )
        if used + text_columns(paragraph) <= columns:  # most lines: nothing to break
            lines.append((line + paragraph).rstrip())
            continue
        start = len(line)
        for token in _tokens(paragraph):
            size = text_columns(token)
            if used + size > columns and len(line) > start:
                carried = ""
                if token[0] in NO_LINE_START and len(line) > start + 1:
                    line, carried = line[:-1], line[-1]
                lines.append(line.rstrip())
                line = indent + carried
                start, used = len(indent), text_columns(line)
                token = token.lstrip() or token
                size = text_columns(token)
            while size > columns - used and len(token) > 1:  # a word longer than the line
                cut = _fit(token, columns - used)
                lines.append(line + token[:cut])
                line, used, token = indent, len(indent), token[cut:]
                start = len(indent)
                size = text_columns(token)
            line += token
            used += size
        lines.append(line.rstrip())
    return lines


def _tokens(text: str) -> Iterator[str]:
    """Latin words (with the space before them) stay together; every other character alone."""
    word = ""
    for char in text:
        if char.isascii() and not char.isspace() and char not in NO_LINE_START:
            word += char
            continue
        if word:
            yield word
            word = ""
        if char.isascii() and char.isspace():
            word = char
        else:
            yield char
    if word:
        yield word


def _fit(token: str, columns: int) -> int:
    used = 0
    for index, char in enumerate(token):
        used += char_columns(char)
        if used > columns:
            return max(index, 1)
    return len(token)


def _is_list(value: FieldValue) -> TypeGuard[list[str] | tuple[str, ...]]:
    return isinstance(value, list | tuple)


def _printable(value: FieldValue) -> str:
    """Control characters would be printer commands: a stray ESC in an item name must not
    reach the printer as one."""
    text = "" if value is None else str(value)
    if text.isprintable():  # nearly always, and then it holds no control character
        return text
    return "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)


class _Missing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""
