"""The kiosk's pinyin candidate bar offers the catalogue's own words (issue 22): its terms split
into words at the short terms they hold, each word with the pinyin its term gave it."""

from __future__ import annotations

import sys

import pytest
from sqlalchemy import select

from queue_core import ManualClock, search
from queue_core.models import Hall
from queue_core.search import Word, search_items, search_terms, vocabulary, words_of
from tests.conftest import MORNING, app_settings, initialise_database


def words(*terms: tuple[str, list[str]]) -> dict[str, tuple[str, int]]:
    return {w.word: (w.pinyin, w.sources) for w in words_of([search_terms(name, kw) for name, kw in terms])}


def test_short_terms_are_words_with_their_pinyin_and_split_the_longer_ones():
    found = words(("社会保障卡补领", ["社保卡", "社保卡丢了", "补办社保卡"]))
    assert found["社保卡"] == ("she bao ka", 1)
    # A longer term is a word too, and falls into the known word it holds and what is left.
    assert found["社保卡丢了"] == ("she bao ka diu le", 1) and found["丢了"] == ("diu le", 1)
    assert found["补办"] == ("bu ban", 1)


def test_a_word_of_many_items_comes_first_and_counts_each_item_once():
    first = words_of(
        [
            search_terms("社会保障卡申领", ["社保", "社保卡", "办社保卡"]),
            search_terms("城乡居民基本养老保险参保登记", ["社保", "交社保"]),
            search_terms("结婚登记", ["结婚"]),
        ]
    )
    assert first[0].word == "社保" and first[0].sources == 2
    assert [w.word for w in first].count("社保") == 1


def test_a_character_keeps_the_reading_of_its_whole_term():
    # 重 alone reads zhong or chong; in 重度残疾 it is zhong, and so it stays in its pieces.
    found = words(("重度残疾人护理补贴申领", ["重度残疾", "护理补贴"]))
    assert found["重度残疾"][0] == "zhong du can ji"
    assert found["护理补贴"][0] == "hu li bu tie"
    assert found["申领"] == ("shen ling", 1)


def test_no_phrases_digits_latin_or_single_characters():
    found = words(("困难残疾人生活补贴和重度残疾人护理补贴申领", ["重度残疾", "80岁补贴", "ETC办理"]))
    assert all(2 <= len(word) <= 8 for word in found)
    assert "困难残疾人生活补贴和" not in found  # ten characters between known words: a phrase
    assert all(word.isalpha() and not word.isascii() for word in found)
    assert found["办理"] == ("ban li", 1)


def test_an_empty_catalogue_has_no_words():
    assert words_of([]) == () and words_of([""]) == ()


def test_names_split_the_terms_and_count_but_offer_no_word_of_their_own():
    items = [search_terms("社会保障卡申领", ["社保卡"]), search_terms("社保转移", [])]
    found = {
        w.word: (w.pinyin, w.sources) for w in words_of(items, ["社会保障", "青山县人力资源和社会保障局"])
    }
    # The topic 社会保障 splits the item's name, and both names hold it: three sources.
    assert found["社会保障"] == ("she hui bao zhang", 3) and found["卡申领"] == ("ka shen ling", 1)
    assert "青山县" not in found and "人力资源" not in found  # a department's only: it finds no item
    assert found["社保卡"] == ("she bao ka", 1)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    database = initialise_database(app_settings(tmp_path_factory.mktemp("vocabulary")), ManualClock(MORNING))
    yield database
    database.engine.dispose()


def demo_vocabulary(demo) -> tuple[Word, ...]:
    with demo.read() as uow:
        return vocabulary(uow, uow.session.scalar(select(Hall.id)))


def test_the_vocabulary_is_served_without_loading_pypinyin(demo, monkeypatch):
    monkeypatch.setitem(sys.modules, "pypinyin", None)  # importing it now raises ImportError
    search._vocabulary.cache_clear()  # built here, not found built by another test
    words = {w.word: w.pinyin for w in demo_vocabulary(demo)}
    assert words["社保"] == "she bao"
    assert words["社会保障"] == "she hui bao zhang"  # split out by the topic


def test_every_word_offered_finds_an_item(demo):
    with demo.read() as uow:
        hall_id = uow.session.scalar(select(Hall.id))
        lost = [w.word for w in demo_vocabulary(demo) if not search_items(uow, hall_id, w.word, 1)]
    assert lost == []
