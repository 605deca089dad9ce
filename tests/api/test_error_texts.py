"""Every error a screen can meet says what is wrong in the screen's language: an API error
carries its stable code, the English message for integrators, and the text a page shows
(Chinese by default, English where the screen asks for it); a page's own error (an unknown
phone ticket, an unknown kiosk, a wrong method) is a page in the hall's style and language."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import text

from queue_core.spec import CalendarSpec

ENGLISH_SENTENCE = re.compile(r"[A-Za-z]{2,}(?:[ ,:;'-]+[A-Za-z]{2,}){2,}")  # three English words in a row
LUNCH = CalendarSpec.model_validate({"sessions": ["08:30-12:00", "14:30-17:30"]}).rules_text()


def no_english(words: str) -> bool:
    return ENGLISH_SENTENCE.search(words) is None


def test_the_api_s_refusals_are_worded_for_the_screen_in_its_language(api, app, clock):
    answers = {
        "unauthenticated": api.post("/tickets", json={"queue": "A"}),
        "not_found": api.get("/tickets/999999", "manager"),
        "method_not_allowed": api.request("DELETE", "/items"),
        "invalid_payload": api.post("/tickets", "device:K1", {"queue": "A", "colour": "red"}),
        "unknown_route": api.get("/no-such-thing"),
    }
    with app.extensions["hallq"].db.write() as uow:
        uow.session.execute(
            text("UPDATE hall SET calendar_rules = :rules, enforce_hours = true"), {"rules": LUNCH}
        )
    clock.set(datetime(2026, 11, 23, 4, 15, tzinfo=UTC))  # 12:15 in Shanghai, a Monday
    answers["lunch"] = api.post("/tickets", "device:K1", {"queue": "A"})
    said = {name: answer.get_json() for name, answer in answers.items()}
    assert {name: (a.status_code, said[name]["error"]) for name, a in answers.items()} == {
        "unauthenticated": (401, "unauthenticated"),
        "not_found": (404, "not_found"),
        "method_not_allowed": (405, "method_not_allowed"),
        "invalid_payload": (422, "invalid_payload"),
        "unknown_route": (404, "not_found"),
        "lunch": (409, "queue_closed"),
    }
    assert said["unauthenticated"]["text"] == "本设备未登录或授权已失效，请联系大厅工作人员。"
    assert said["unauthenticated"]["message"] == "log in or send Authorization: Bearer <token>"
    assert said["invalid_payload"]["text"] == "请检查以下填写项：colour。"
    assert said["lunch"]["text"] == "午休时间，14:30 起取号。"
    assert answers["method_not_allowed"].headers["Allow"]
    for name, answer in said.items():
        assert answer["text"] and no_english(answer["text"]), (name, answer["text"])

    english = api.client.post("/api/v1/tickets", json={"queue": "A"}, headers={"X-Hallq-Lang": "en"})
    assert english.get_json()["text"] == (
        "This screen is not logged in, or its access was withdrawn. Please ask the hall's staff."
    )


BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}  # a page asked for


def test_a_pages_error_is_a_page_in_the_halls_language(app):
    client = app.test_client()
    for path, status in (("/t/not-a-ticket-key", 404), ("/kiosk/NOSUCH", 404), ("/no/such/page", 404)):
        answer = client.get(path, headers=BROWSER)
        page = answer.get_data(as_text=True)
        assert answer.status_code == status and answer.mimetype == "text/html", path
        assert '<html lang="zh-CN">' in page and "<h1>未找到</h1>" in page, path
        visible = re.sub(r"<[^>]+>", " ", page[page.index("<body>") :])
        assert no_english(visible), (path, visible)
    wrong_method = client.post("/book", headers=BROWSER)
    assert wrong_method.status_code == 405 and "此处不支持该操作。" in wrong_method.get_data(as_text=True)
    assert wrong_method.headers["Allow"]
    english = client.get("/no/such/page?lang=en", headers=BROWSER).get_data(as_text=True)
    assert "<h1>Not found</h1>" in english
