"""Queues and items as a kiosk reads them."""


def test_queues_with_waiting_counts_and_windows(api):
    api.post("/tickets", "guide", {"queue": "D"})
    api.post("/tickets", "guide", {"queue": "D"})
    queues = {q["code"]: q for q in api.get("/queues").get_json()}
    assert set(queues) == set("ABCDEFGH")
    assert queues["D"]["name"] == "社保医保" and queues["D"]["waiting"] == 2
    assert queues["D"]["windows"] == [5, 6, 7, 15, 16]
    assert queues["A"]["waiting"] == 0


def test_search_by_chinese_full_pinyin_and_initials(api):
    def names(q):
        return [i["name"] for i in api.get("/items", query_string={"q": q}).get_json()]

    assert "内地居民婚姻登记（结婚登记）" in names("结婚")
    assert any("婚姻登记" in n for n in names("hunyin"))
    by_initials = names("hydj")  # 婚姻登记
    assert by_initials and all("婚姻登记" in n for n in by_initials)
    assert names("HYDJ") == by_initials
    assert names("sfz")[0].startswith("居民身份证")  # initials of 身份证 inside the name
    assert names("zzzzqqq") == []


def test_search_finds_keywords_in_chinese_pinyin_and_initials_and_no_wildcards(api):
    def codes(q):
        return [i["code"] for i in api.get("/items", query_string={"q": q}).get_json()]

    assert codes("社保")[0] == "RS001" and codes("sbk")[:2] == ["RS001", "RS002"]
    assert codes("医保")[0] == codes("yibao")[0] == codes("yb")[0] == "YB001"
    assert codes("shebao卡")[:2] == ["RS001", "RS002"] and codes("sfz")[0] == "GA001"
    assert codes("%") == codes("_") == codes("%%") == []
    assert codes("身份证丢了")[0] == "GA003"


def test_keywords_are_managed_with_the_item_and_found_at_once(api):
    from tests.api.test_catalogue_admin import NEW_ITEM

    saved = api.request(
        "PUT", "/catalogue/items/TEST-K", "manager", {**NEW_ITEM, "keywords": ["小名", "俗称"]}
    )
    assert saved.status_code == 200 and saved.get_json()["keywords"] == ["小名", "俗称"]
    for query in ("小名", "xiaoming", "xm", "俗cheng"):
        assert api.get("/items", query_string={"q": query}).get_json()[0]["code"] == "TEST-K", query
    listed = api.get("/catalogue/items", "supervisor", query_string={"q": "俗称"}).get_json()
    assert [i["code"] for i in listed] == ["TEST-K"]
    api.request("PUT", "/catalogue/items/TEST-K", "manager", NEW_ITEM)  # no keywords now
    assert all(i["code"] != "TEST-K" for i in api.get("/items", query_string={"q": "小名"}).get_json())
    too_long = api.request("PUT", "/catalogue/items/TEST-K", "manager", {**NEW_ITEM, "keywords": ["长" * 21]})
    assert too_long.status_code == 422


def test_search_limit_is_validated(api):
    response = api.get("/items", query_string={"limit": "0"})
    assert response.status_code == 422 and response.get_json()["fields"][0]["field"] == "limit"


def test_item_has_the_eight_disclosures_and_its_windows(api):
    item_id = api.get("/items", query_string={"q": "居民身份证申领（首次申领）"}).get_json()[0]["id"]
    item = api.get(f"/items/{item_id}").get_json()
    assert item["name"] == "居民身份证申领（首次申领）"
    assert item["department_name"] == "青山县公安局（户政）"
    assert item["basis"][0].startswith("《中华人民共和国居民身份证法》")
    assert len(item["materials"]) >= 2 and len(item["procedure"]) >= 3
    assert item["conditions"] and item["authority"]
    assert item["kind"] == "commitment" and item["promised_limit_days"] > 0
    assert "20元" in item["fees"] and item["fee_basis"]
    assert [w["number"] for w in item["windows"]] == [1, 2, 16]
    assert item["queue"] == "A" and item["queue_name"] == "户籍业务"


def test_every_demo_item_is_complete(api):
    items = api.get("/items", query_string={"limit": 200}).get_json()
    assert len(items) >= 60
    departments = {i["department"] for i in items}
    assert len(departments) >= 10
    for summary in items:
        item = api.get(f"/items/{summary['id']}").get_json()
        assert item["basis"] and item["materials"] and item["procedure"] and item["fees"], item["code"]
        assert item["windows"], item["code"]


def test_departments_and_topics_with_their_items(api):
    departments = {d["code"]: d for d in api.get("/departments").get_json()}
    assert len(departments) == 15 and departments["MZ"]["name"] == "青山县民政局"
    assert departments["GA"]["items"] >= 5
    in_ga = api.get("/items", query_string={"department": "GA", "limit": 200}).get_json()
    assert len(in_ga) == departments["GA"]["items"] and {i["department"] for i in in_ga} == {"GA"}
    topics = [t["name"] for t in api.get("/topics").get_json()]
    assert topics[:2] == ["出生", "户籍"] and "婚姻" in topics
    marriage = api.get("/items", query_string={"topic": "婚姻"}).get_json()
    assert marriage and all("婚" in i["name"] or i["department"] == "MZ" for i in marriage)


def test_a_queues_line_says_how_long_a_ticket_taken_now_would_wait(api, clock):
    """Before 取号: a range around the people waiting × today's mean handling ÷ the windows
    open for it (the wait forecast)."""
    assert api.post("/windows/1/sign-in", "clerk1").status_code == 200
    for _ in range(3):
        assert api.post("/tickets", "device:K1", {"queue": "A"}).status_code == 201
    line = next(q for q in api.get("/queues").get_json() if q["code"] == "A")
    assert (
        line["taking"],
        line["waiting"],
        line["estimated_wait_seconds"],
        line["estimated_wait_range"],
    ) == (
        True,
        3,
        None,
        None,
    )  # nothing done yet
    for step in ("call-next", "start"):
        assert api.post(f"/windows/1/{step}", "clerk1").status_code == 200
    clock.advance(minutes=10)
    assert api.post("/windows/1/finish", "clerk1", {"outcome": "completed"}).status_code == 200
    line = next(q for q in api.get("/queues").get_json() if q["code"] == "A")
    low, high = line["estimated_wait_range"]
    assert line["waiting"] == 2 and low < line["estimated_wait_seconds"] < high
    assert low < 2 * 600 < high


def test_the_vocabulary_offers_the_catalogues_words_and_revalidates_by_etag(api):
    from tests.api.test_catalogue_admin import NEW_ITEM

    served = api.get("/vocabulary")
    words = {w["word"]: (w["pinyin"], w["sources"]) for w in served.get_json()["words"]}
    assert words["社保"][0] == "she bao" and words["社保"][1] >= 4  # a keyword of several items
    assert words["身份证"][0] == "shen fen zheng" and words["社会保障"][0] == "she hui bao zhang"  # a topic
    assert served.headers["Cache-Control"] == "no-cache"
    unchanged = {"If-None-Match": served.headers["ETag"]}
    again = api.client.get("/api/v1/vocabulary", headers=unchanged)
    assert again.status_code == 304 and again.data == b""
    # A new item's keyword is offered at once, under a new ETag.
    api.request("PUT", "/catalogue/items/TEST-V", "manager", {**NEW_ITEM, "keywords": ["俗称小名"]})
    changed = api.client.get("/api/v1/vocabulary", headers=unchanged)
    new_word = {"word": "俗称小名", "pinyin": "su cheng xiao ming", "sources": 1}
    assert changed.status_code == 200 and new_word in changed.get_json()["words"]
