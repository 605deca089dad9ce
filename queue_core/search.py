"""Finding service items as citizens ask for them: by the Chinese name or a keyword (社保卡,
身份证丢了), in full pinyin (shebao), initials (sbk) or both mixed (社bao, shebao卡).

When an item is saved, its name, the name's parts (婚姻登记（结婚登记） gives 结婚登记 too) and
its keywords are each stored as search terms with the pinyin of every character
(`search_terms`). A search reads the terms of the hall's active items and ranks them here, in
Python: a hall has a few hundred items, and a LIKE pattern never sees what a citizen typed, so
% and _ are plain characters. The ranks, best first:

0. the query is a whole term (社保, shebao, sb for 社保) or the item's code or English name;
1. it begins a term (社保k for 社保卡, jiehun for 结婚登记);
2. it begins at a character inside a term (sfz, 身份证 for 居民身份证申领); an English word of
   the English name;
3. it is inside the English name;
4. (only where nothing above matched) the query holds terms: 我的身份证丢了 holds 身份证 and
   丢了; the more of the query they cover, the better.

Ties go by item code. Each character of the query is matched exactly (汉字 by itself, a letter
by the pinyin), and each character of a term takes either Chinese or the beginning of its
pinyin: s, sh, she all stand for 社."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from sqlalchemy import select

from .models import Department, ServiceItem

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork

_HAN = re.compile(r"[\u3400-\u9fff]")
_NOT_LETTERS = re.compile(r"[^a-z]")
# What a term or a query is made of: single Han characters and runs of Latin letters or digits.
_TOKEN = re.compile(r"[\u3400-\u9fff]|[a-z0-9]+")
_HAN_RUN_OR_WORD = re.compile(r"[\u3400-\u9fff]+|[a-z0-9]+")
# Where a name falls into parts: brackets, book-title marks, quotes, enumeration commas.
_PARTS = re.compile(r"[()《》〈〉<>\[\]【】“”\"'、,;:·/\s]+")

EXACT, PREFIX, INSIDE, SUBSTRING, HOLDS = range(5)


def _normal(text: str) -> str:
    """Full-width letters and brackets as ASCII, lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def pinyin_keys(text: str) -> tuple[str, str]:
    """(full pinyin, initials) of the Han characters in text, letters only, lower case."""
    # Imported here: its dictionaries take some 55 MiB, which a serving process needs only
    # when an item is saved (searches read the keys stored then).
    from pypinyin import Style, lazy_pinyin

    han = "".join(_HAN.findall(text))
    # Cut to its column: a name of 200 characters may spell out to 1,200 letters (zhuang...),
    # and a search types the first few.
    full = "".join(lazy_pinyin(han))[: ServiceItem.search_pinyin.type.length]
    initials = "".join(lazy_pinyin(han, style=Style.FIRST_LETTER))
    return full, initials


def search_terms(name: str, keywords: list[str]) -> str:
    """The stored search terms of an item, for the name, its parts and each keyword: a line
    each, its tokens and their pinyin ("社 保 卡\tshe bao ka")."""
    from pypinyin import lazy_pinyin

    # The name's parts of three characters or more: 结婚登记, 二手房, not 申领 of 《就业创业证》申领.
    parts = [part for part in _PARTS.split(_normal(name)) if len(_TOKEN.findall(part)) >= 3]
    terms: dict[str, str] = {}
    for text in (name, *parts, *keywords):
        tokens: list[str] = []
        keys: list[str] = []
        for run in _HAN_RUN_OR_WORD.findall(_normal(text)):
            if _HAN.match(run):
                # A run at once, so that its words give its characters their readings (重度 zhong).
                tokens += run
                keys += [_NOT_LETTERS.sub("", syllable) or "?" for syllable in lazy_pinyin(run)]
            else:
                tokens.append(run)
                keys.append(run)
        if tokens:
            terms.setdefault(" ".join(tokens), " ".join(keys))
    return "\n".join(f"{tokens}\t{keys}" for tokens, keys in terms.items())


@dataclass(frozen=True)
class _Term:
    word: str  # its tokens together: "社保卡"
    tokens: tuple[str, ...]  # ("社", "保", "卡")
    keys: tuple[str, ...]  # ("she", "bao", "ka")
    initials: str  # "sbk"
    pinyin: str  # "shebaoka"


@dataclass(frozen=True)
class _Terms:
    """An item's terms as a search reads them, with what any query matching one begins with."""

    terms: tuple[_Term, ...]
    haystack: str  # the words, "|"-separated
    firsts: frozenset[str]  # the first character of a query matching a term: 社, s
    pairs: frozenset[str]  # its first two: 社保, 社b, s保, sb, sh


@lru_cache(maxsize=4096)
def _terms(stored: str) -> _Terms:
    """An item's stored terms, read once per process for each content they have."""
    terms = []
    firsts: set[str] = set()
    pairs: set[str] = set()
    for line in stored.splitlines():
        tokens, _, keys = line.partition("\t")
        split = keys.split(" ")
        term = _Term(
            tokens.replace(" ", ""),
            tuple(tokens.split(" ")),
            tuple(split),
            "".join(k[0] for k in split),
            "".join(split),
        )
        terms.append(term)
        starts = [{token, key[0]} for token, key in zip(term.tokens, term.keys, strict=True)]
        for at, key in enumerate(term.keys):
            firsts |= starts[at]
            if len(key) > 1:
                pairs.add(key[:2])
            if at + 1 < len(starts):
                pairs |= {a + b for a in starts[at] for b in starts[at + 1]}
    return _Terms(tuple(terms), "|".join(t.word for t in terms), frozenset(firsts), frozenset(pairs))


@dataclass(frozen=True)
class _Query:
    raw: str  # as typed, stripped
    text: str  # Han characters and letters or digits only, lower case: "社bao"
    english: str  # lower case, spaces collapsed
    han: bool  # holds Han characters
    latin: bool  # holds letters or digits

    @classmethod
    def of(cls, query: str) -> _Query:
        normal = _normal(query).strip()
        text = "".join(_TOKEN.findall(normal))
        han, latin = bool(_HAN.search(text)), any(c.isascii() for c in text)
        return cls(query.strip(), text, " ".join(normal.split()), han, latin)


def search_items(
    uow: UnitOfWork,
    hall_id: int,
    query: str,
    limit: int = 50,
    *,
    department: str | None = None,
    topic: str | None = None,
) -> list[ServiceItem]:
    """Items matching the query, best first, within a department (code) and a life-event topic
    if given; every active item, by code, for an empty query."""
    columns = [ServiceItem.id, ServiceItem.code, ServiceItem.name_en, ServiceItem.search_terms]
    stmt = select(*columns, *([ServiceItem.topics] if topic is not None else [])).where(
        ServiceItem.hall_id == hall_id, ServiceItem.active
    )
    if department is not None:
        stmt = stmt.join(Department).where(Department.code == department)
    rows = [row for row in uow.session.execute(stmt) if topic is None or topic in row.topics]
    q = _Query.of(query)
    if not q.raw:
        ranked = sorted((row.code, row.id) for row in rows)
    else:
        ranked = rank(q, [(row.id, row.code, row.name_en, row.search_terms) for row in rows])
    chosen = [item_id for _, item_id in ranked[:limit]]
    if not chosen:
        return []
    found = {
        item.id: item for item in uow.session.scalars(select(ServiceItem).where(ServiceItem.id.in_(chosen)))
    }
    return [found[item_id] for item_id in chosen]


def rank(q: _Query | str, items: list[tuple[int, str, str, str]]) -> list[tuple[tuple[int, int, str], int]]:
    """The matching items (id, code, English name, stored search terms), as ((rank, -covered,
    code), id), best first."""
    q = _Query.of(q) if isinstance(q, str) else q
    found = []
    for item_id, code, name_en, stored in items:
        level = _level(q, code, name_en, _terms(stored))
        if level is not None:
            found.append(((level, 0, code), item_id))
    if not found and q.han:
        for item_id, code, _, stored in items:
            covered = _covered(q.text, _terms(stored))
            if covered:
                found.append(((HOLDS, -covered, code), item_id))
    found.sort()
    return found


def _level(q: _Query, code: str, name_en: str, item: _Terms) -> int | None:
    best: int | None = EXACT if q.raw.upper() == code.upper() else None
    if best is None and q.latin and not q.han and name_en:
        best = _english_level(q.english, name_en.lower())
    if best == EXACT or not q.text or q.text[:2] not in (item.pairs if len(q.text) > 1 else item.firsts):
        return best
    if not q.latin and q.text not in item.haystack:
        return best
    for term in item.terms:
        level = _term_level(q, term)
        if level is not None and (best is None or level < best):
            best = level
            if best == EXACT:
                break
    return best


def _english_level(words: str, name_en: str) -> int | None:
    if name_en == words:
        return EXACT
    if name_en.startswith(words):
        return PREFIX
    at = name_en.find(words)
    while at > 0:
        if not name_en[at - 1].isalnum():
            return INSIDE
        at = name_en.find(words, at + 1)
    return SUBSTRING if len(words) >= 3 and words in name_en else None


def _term_level(q: _Query, term: _Term) -> int | None:
    """How the query (Han characters and letters, "社bao") matches a term, if it does."""
    text = q.text
    if not q.latin:  # Chinese only: the characters as they are
        at = term.word.find(text)
        return None if at < 0 else EXACT if term.word == text else PREFIX if at == 0 else INSIDE
    first = text[0]
    if first not in (term.initials if first.isascii() else term.word):
        return None
    if text in (term.pinyin, term.initials):
        return EXACT
    ends: dict[tuple[int, int], frozenset[int]] = {}
    best: int | None = None
    for start, (token, key) in enumerate(zip(term.tokens, term.keys, strict=True)):
        if token != first and key[0] != first:
            continue
        found = _ends(text, term.tokens, term.keys, start, 0, ends)
        if not found:
            continue
        if start == 0:
            return EXACT if len(term.tokens) in found else PREFIX
        best = INSIDE
    return best


def _ends(
    text: str,
    tokens: tuple[str, ...],
    keys: tuple[str, ...],
    at: int,
    pos: int,
    memo: dict[tuple[int, int], frozenset[int]],
) -> frozenset[int]:
    """The token positions where the query from pos ends, if tokens from at take all of it: a
    Han character takes its own token; letters take the beginning of a token's pinyin."""
    if pos == len(text):
        return frozenset((at,))
    if at == len(tokens):
        return frozenset()
    known = memo.get((at, pos))
    if known is not None:
        return known
    token, key, char = tokens[at], keys[at], text[pos]
    found: frozenset[int] = frozenset()
    if not char.isascii():
        if token == char:
            found = _ends(text, tokens, keys, at + 1, pos + 1, memo)
    else:
        taken = 0
        while taken < len(key) and pos + taken < len(text) and text[pos + taken] == key[taken]:
            taken += 1
            found |= _ends(text, tokens, keys, at + 1, pos + taken, memo)
    memo[(at, pos)] = found
    return found


def _covered(text: str, item: _Terms) -> int:
    """How many characters of a Chinese query are in runs of two or more that the item's terms
    hold (我的身份证丢了: 身份证丢了, 5; 社保转到外地: 社保转 of 社保转移, 3)."""
    haystack = item.haystack
    covered = [False] * len(text)
    for start in range(len(text) - 1):
        end = start + 2
        while end <= len(text) and text[start:end] in haystack:
            end += 1
        if end > start + 2:
            covered[start : end - 1] = [True] * (end - 1 - start)
    return sum(covered)


# -- the kiosk's pinyin candidate bar ------------------------------------------------------
# A citizen types pinyin (shebao, sb) and picks the Chinese word from a bar above the screen
# keyboard, so the kiosk needs no input-method engine: the words are the catalogue's own, from
# the stored search terms of its items, split and ranked with the help of the departments' and
# the life-event topics' names.

KNOWN_WORD_LENGTHS = range(2, 5)  # a term this long is a word that splits longer ones: 社保, 营业执照
LONGEST_WORD = 8  # a longer term is offered only in its pieces (居民身份证申领 is; 困难残疾人…申领 is not)


@dataclass(frozen=True)
class Word:
    """A word of the catalogue, as the candidate bar offers it."""

    word: str  # 社保
    pinyin: str  # its syllables, space-separated: "she bao"
    sources: int  # in how many items (or department or topic names) it is found: the more, the earlier


def vocabulary(uow: UnitOfWork, hall_id: int) -> tuple[Word, ...]:
    """The words of the hall's active items, split and ranked with its departments' and topics'
    names, most used first."""
    rows = uow.session.execute(
        select(ServiceItem.search_terms, ServiceItem.topics).where(
            ServiceItem.hall_id == hall_id, ServiceItem.active
        )
    ).all()
    departments = uow.session.scalars(select(Department.name).where(Department.hall_id == hall_id))
    names = {*departments, *(topic for row in rows for topic in row.topics)}
    return _vocabulary(tuple(sorted(row.search_terms for row in rows)), tuple(sorted(names)))


@lru_cache(maxsize=4)
def _vocabulary(item_terms: tuple[str, ...], names: tuple[str, ...]) -> tuple[Word, ...]:
    """Built once for each content of the catalogue: every kiosk asks for the same words."""
    return words_of(list(item_terms), names)


def words_of(sources: list[str], names: Iterable[str] = ()) -> tuple[Word, ...]:
    """The words of items' stored search terms (search_terms' lines; a source for each item),
    most sources first, then shortest, then in character order.

    The catalogue splits itself into words: a term of two to four characters (社保, 身份证,
    营业执照, mostly keywords) is a known word, and a longer one splits at the known words it
    holds, longest first, its other runs of two to four characters words too (身份证丢了: 身份证,
    丢了). Each character keeps the reading its whole term gave it (重度残疾 zhong).

    Names (of departments, topics) offer no word of their own: a search finds items by their
    terms only, so a word only a name has would find nothing. Their parts of two to four
    characters split the terms as known words do (社会保障 in 社会保障卡申领), and each name
    holding a word counts as a source of it. Nothing is spelt out here: pypinyin's dictionaries
    (55 MiB) stay out of a serving process (see pinyin_keys)."""
    runs_of_sources = [_han_runs(source) for source in sources]
    name_parts = [tuple(_TOKEN.findall(part)) for name in names for part in _PARTS.split(_normal(name))]
    known = {tokens for runs in runs_of_sources for tokens, _ in runs if len(tokens) in KNOWN_WORD_LENGTHS}
    known |= {
        tokens
        for tokens in name_parts
        if len(tokens) in KNOWN_WORD_LENGTHS and all(_HAN.fullmatch(token) for token in tokens)
    }
    readings: dict[str, str] = {}
    counts: dict[str, int] = {}
    for runs in runs_of_sources:
        found: set[str] = set()
        for tokens, keys in runs:
            for start, end in _pieces(tokens, known):
                word = "".join(tokens[start:end])
                readings.setdefault(word, " ".join(keys[start:end]))
                found.add(word)
        for word in found:
            counts[word] = counts.get(word, 0) + 1
    for name in {_normal(name) for name in names}:
        for word in readings:
            if word in name:
                counts[word] += 1
    ordered = sorted(counts, key=lambda word: (-counts[word], len(word), word))
    return tuple(Word(word, readings[word], counts[word]) for word in ordered)


def _han_runs(stored: str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """The runs of two or more Han characters in stored terms, each with its syllables."""
    runs = []
    for line in stored.splitlines():
        tokens, _, keys = line.partition("\t")
        run: list[tuple[str, str]] = []
        for token, key in [*zip(tokens.split(" "), keys.split(" "), strict=True), ("", "")]:
            if _HAN.fullmatch(token) and key != "?":
                run.append((token, key))
                continue
            if len(run) >= 2:
                runs.append((tuple(t for t, _ in run), tuple(k for _, k in run)))
            run = []
    return runs


def _pieces(tokens: tuple[str, ...], known: set[tuple[str, ...]]) -> list[tuple[int, int]]:
    """Where a run's words are: the whole (if not too long), the known words it holds, longest
    first from the left, and the runs of two to four characters between them (longer ones are
    phrases, not words: 困难残疾人生活补贴和)."""
    pieces = [(0, len(tokens))] if len(tokens) <= LONGEST_WORD else []
    if len(tokens) <= max(KNOWN_WORD_LENGTHS):
        return pieces
    between: list[tuple[int, int]] = []
    at = rest = 0
    while at < len(tokens):
        length = next((n for n in reversed(KNOWN_WORD_LENGTHS) if tokens[at : at + n] in known), 0)
        if length:
            between.append((rest, at))
            pieces.append((at, at + length))
            at = rest = at + length
        else:
            at += 1
    if rest > 0:  # the run held a known word: what follows the last is a word too
        between.append((rest, len(tokens)))
    return pieces + [(start, end) for start, end in between if end - start in KNOWN_WORD_LENGTHS]
