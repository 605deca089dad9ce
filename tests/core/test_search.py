"""The kiosk's search over the demo catalogue: the everyday queries of tests/search_queries.py
find their item among the first three (issue 22), keywords and mixed pinyin match, and what a
citizen types is never a LIKE pattern."""

from __future__ import annotations

import sys

import pytest
from sqlalchemy import select, update

from queue_core import ManualClock, migrate
from queue_core.models import Hall, ServiceItem
from queue_core.search import search_items, search_terms
from queue_core.spec import ItemSpec
from tests.conftest import MORNING, app_settings, initialise_database
from tests.search_queries import QUERIES

REVISION_BEFORE_KEYWORDS = "7d2a4e6b8c10"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    database = initialise_database(app_settings(tmp_path_factory.mktemp("search")), ManualClock(MORNING))
    yield database
    database.engine.dispose()


def codes(database, query: str, **filters: str) -> list[str]:
    with database.read() as uow:
        hall_id = uow.session.scalar(select(Hall.id))
        return [item.code for item in search_items(uow, hall_id, query, 30, **filters)]


def test_everyday_queries_find_their_item_among_the_first_three(demo):
    found = {query: codes(demo, query) for query, _ in QUERIES}
    misses = [
        (query, expected, found[query][:3])
        for query, expected in QUERIES
        if not set(expected) & set(found[query][:3])
    ]
    assert len(QUERIES) >= 150
    assert 1 - len(misses) / len(QUERIES) >= 0.95, misses
    first = sum(bool(found[q]) and found[q][0] in expected for q, expected in QUERIES)
    assert first / len(QUERIES) >= 0.9


@pytest.mark.parametrize(
    ("query", "right"),
    [
        ("社保", {"RS001", "RS002", "RS003", "RS007"}),
        ("医保", {"YB001"}),
        ("sbk", {"RS001", "RS002"}),
        ("shebao", {"RS001", "RS002", "RS003", "RS007"}),
        ("yibao", {"YB001"}),
        ("yb", {"YB001"}),
        ("sfz", {"GA001", "GA002", "GA003"}),
        ("社bao", {"RS001", "RS002", "RS003", "RS007"}),
        ("shebao卡", {"RS001", "RS002"}),
        ("ＳＦＺ", {"GA001", "GA002", "GA003"}),  # full-width, as some input methods type
        ("she bao", {"RS001", "RS002", "RS003", "RS007"}),
    ],
)
def test_what_the_tester_typed_finds_the_right_item_first(demo, query, right):
    assert codes(demo, query)[0] in right


@pytest.mark.parametrize("query", ["%", "_", "%%", "__", "%_%", "\\", "'", "？", "！", "   "])
def test_wildcards_and_punctuation_are_plain_characters(demo, query):
    assert codes(demo, query) == ([] if query.strip() else codes(demo, ""))


def test_ranks_whole_term_then_prefix_then_inside(demo):
    # 结婚: a keyword of MZ001 (whole); 结婚证丢了 of MZ003 begins with it.
    assert codes(demo, "结婚")[:2] == ["MZ001", "MZ003"]
    # 身份证 is a whole keyword of GA001-GA003; 临时身份证 holds it inside: after them.
    assert codes(demo, "身份证")[:4] == ["GA001", "GA002", "GA003", "GA004"]
    # An item's code is a whole match; the English name matches by words.
    assert codes(demo, "gjj003")[0] == "GJJ003"
    assert codes(demo, "Passport")[:2] == ["CRJ001", "CRJ002"]
    assert codes(demo, "id card")[:3] == ["GA001", "GA002", "GA003"]


def test_a_sentence_finds_the_item_whose_terms_it_holds(demo):
    assert codes(demo, "我的身份证丢了怎么办")[0] == "GA003"
    assert codes(demo, "社保转到外地")[0] == "RS008"
    assert codes(demo, "今天天气很好") == []


def test_department_and_topic_filters_still_apply(demo):
    assert codes(demo, "证", department="CL") == ["CL001", "CL002", "CL003"]
    assert set(codes(demo, "sb", topic="医疗")) <= {
        "RS001",
        "RS002",
        "YB001",
        "YB002",
        "YB003",
        "YB004",
        "YB005",
        "YB006",
    }
    assert codes(demo, "", topic="婚姻") == ["MZ001", "MZ002", "MZ003"]


def test_every_demo_item_has_keywords(demo):
    with demo.read() as uow:
        items = list(uow.session.scalars(select(ServiceItem)))
    assert len(items) == 76 and all(len(item.keywords) >= 4 for item in items)


def test_keywords_are_split_from_a_cell_and_stored_with_their_pinyin():
    spec = ItemSpec.model_validate(
        {
            "code": "T1",
            "name": "测试",
            "department": "D",
            "queue": "A",
            "kind": "即办件",
            "basis": "b",
            "materials": "m",
            "procedure": "p",
            "keywords": "社保、医保卡,身份证，驾照 退休;退休",
        }
    )
    assert spec.keywords == ["社保", "医保卡", "身份证", "驾照", "退休"]
    terms = search_terms("内地居民婚姻登记（结婚登记）", ["重度残疾", "3C认证"])
    assert terms.splitlines() == [
        "内 地 居 民 婚 姻 登 记 结 婚 登 记\tnei di ju min hun yin deng ji jie hun deng ji",
        "内 地 居 民 婚 姻 登 记\tnei di ju min hun yin deng ji",
        "结 婚 登 记\tjie hun deng ji",
        "重 度 残 疾\tzhong du can ji",  # read as a word: 重 is zhong here, not chong
        "3c 认 证\t3c ren zheng",
    ]


def test_a_search_does_not_load_pypinyin(demo, monkeypatch):
    monkeypatch.setitem(sys.modules, "pypinyin", None)  # importing it now raises ImportError
    assert codes(demo, "shebao卡")[0] == "RS001"


def test_items_saved_before_keywords_are_found_by_their_names(tmp_path):
    database = initialise_database(app_settings(tmp_path), ManualClock(MORNING))
    migrate.downgrade(database.engine, REVISION_BEFORE_KEYWORDS)
    migrate.upgrade(database.engine)
    with database.read() as uow:
        assert uow.session.scalar(select(ServiceItem.keywords).where(ServiceItem.code == "RS001")) == []
    assert codes(database, "hydj")[:2] == ["MZ001", "MZ002"]  # 婚姻登记 inside their names
    assert codes(database, "社会保障卡")[:2] == ["RS001", "RS002"]
    with database.write() as uow:  # an item whose terms were never filled is found by nothing
        uow.session.execute(update(ServiceItem).values(search_terms=""))
    assert codes(database, "社会保障卡") == []
    database.engine.dispose()
