"""Notices on the hall boards: a manager posts and withdraws; they expire by themselves."""


def test_a_posted_notice_shows_until_it_expires(api, clock):
    standing = api.get("/notices").get_json()
    assert standing and all(n["id"] is None for n in standing)  # the demo's hall.toml notices

    posted = api.post(
        "/notices", "manager", {"title": "系统维护", "text": "不动产登记系统维护，请稍候", "minutes": 30}
    )
    assert posted.status_code == 201
    notice = posted.get_json()
    assert notice["title"] == "系统维护" and notice["until"] is not None
    assert api.get("/notices").get_json()[0] == notice
    clock.advance(minutes=31)
    assert api.get("/notices").get_json() == standing


def test_a_withdrawn_notice_is_gone(api):
    notice = api.post("/notices", "manager", {"title": "暂停", "text": "午间暂停取号"}).get_json()
    assert notice["until"] is None
    assert api.request("DELETE", f"/notices/{notice['id']}", "manager").status_code == 200
    assert notice not in api.get("/notices").get_json()
    again = api.request("DELETE", f"/notices/{notice['id']}", "manager")
    assert (
        again.status_code == 409
        and again.get_json()["message"] == f"notice {notice['id']} was already withdrawn"
    )
    assert api.request("DELETE", "/notices/999", "manager").status_code == 404


def test_only_managers_post_and_bad_notices_are_named(api):
    assert api.post("/notices", "clerk3", {"title": "t", "text": "x"}).status_code == 403
    assert api.post("/notices", None, {"title": "t", "text": "x"}).status_code == 401
    refused = api.post("/notices", "manager", {"title": "", "text": "x" * 601, "minutes": 0})
    assert refused.status_code == 422
    assert {f["field"] for f in refused.get_json()["fields"]} == {"title", "text", "minutes"}
