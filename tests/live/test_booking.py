"""A citizen's own booking (网上预约) in Chromium against a real `hallq serve`, in Chinese: booked
on the phone page, the slot's room drops and a full slot cannot be chosen, the booking is
checked in at the kiosk with the booker's ID card and becomes a priority ticket; a person who did not
keep bookings is refused, with the day booking opens again.

Today is made a working day with one session all day (the suite runs at any hour, any day),
and the hall's booking rules are set for the test; both are put back afterwards."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from hallq.config_files import load_hall
from queue_core.booking import door_token
from queue_core.identity import holder_digest
from queue_core.spec import CalendarDay
from tests.conftest import DEMO_CONFIG
from tests.live.conftest import loaded_image_width
from tests.live.test_kiosk import TIMEOUT, hall_changed, open_kiosk

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
ID_NUMBER = "11010519491231002X"
BLOCKED_ID = "110105198001010016"  # another person (a valid check digit)
ARRIVING_ID = "110105198001010024"  # and a third
CHANGE = ["UPDATE hall SET calendar_rules = :rules, booking_rules = :booking"]
RESTORE = ["UPDATE hall SET calendar_rules = :usual, booking_rules = :usual_booking"]


@pytest.fixture(autouse=True)
def tickets_withdrawn(live):
    """The shared live hall as the other modules expect it: every ticket a test here left in a
    line (a checked-in booking, an arrived remote ticket) is cancelled afterwards."""
    engine = create_engine(live.env["DATABASE_URL"])
    with engine.connect() as connection:
        before = connection.scalar(text("SELECT coalesce(max(id), 0) FROM ticket"))
    yield
    with engine.connect() as connection:
        left = connection.scalars(
            text("SELECT id FROM ticket WHERE id > :before AND status IN ('remote', 'waiting', 'called')"),
            {"before": before},
        ).all()
    engine.dispose()
    for ticket_id in left:
        assert live.api("POST", f"/tickets/{ticket_id}/cancel", "manager").ok


def booking_hall() -> dict[str, str]:
    spec = load_hall(DEMO_CONFIG)
    usual = spec.full_calendar()
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    all_day = usual.model_copy(update={"days": [CalendarDay(date=today, sessions=["00:00-23:59"])]})
    return {
        "rules": all_day.rules_text(),
        "booking": json.dumps({"days_ahead": 1, "slot_minutes": 30, "capacity": 1, "no_show_limit": 2}),
        "usual": usual.rules_text(),
        "usual_booking": spec.booking.model_dump_json(),
    }


def phone_page(browser, url: str):
    context = browser.new_context(viewport=PHONE, has_touch=True, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{url}/book")
    return context, page


def booked_now(live, queue: str, name: str, id_number: str) -> dict:
    """A booking of the first item of the queue, in its slot of the moment, over the API."""
    item = next(i for i in live.api("GET", "/booking/items").json() if i["queue"] == queue)
    slot = live.api("GET", "/booking/slots", params={"item_id": item["id"]}).json()["slots"][0]
    body = {"item_id": item["id"], "slot_start": slot["start"], "name": name, "id_number": id_number}
    return live.api("POST", "/booking", json=body).json()


def choose(page, item: str) -> None:
    page.get_by_role("button", name=re.compile(item)).first.click()
    expect(page.get_by_test_id("slots")).to_be_visible()


def test_a_citizen_books_on_the_phone_and_checks_in_at_the_kiosk(browser, live):
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    if now.hour == 23 and now.minute >= 55:
        pytest.skip("the day's last slot is ending: nothing left to book today")
    with hall_changed(live, CHANGE, RESTORE, **booking_hall()):
        context, page = phone_page(browser, live.url)
        try:
            expect(page.get_by_role("heading", name="网上预约")).to_be_visible()
            choose(page, "结婚登记")
            first = page.get_by_test_id("slots").locator("button.slot:not([disabled])").first
            expect(first).to_contain_text("剩余 1")
            first.click()
            page.get_by_label("姓名").fill("张三")
            page.get_by_label("身份证号").fill(ID_NUMBER)
            page.get_by_role("button", name="预约", exact=True).click()
            expect(page).to_have_url(re.compile(r"/book/[A-Z0-9]{8}$"))
            code = page.get_by_test_id("code").inner_text()
            expect(page.get_by_test_id("booking")).to_contain_text("请在预约时段开始前 15 分钟内")
            assert loaded_image_width(page.get_by_test_id("qr")) > 0  # the code, for a kiosk's scanner

            # The slot is full now: the next citizen cannot choose it.
            page.goto(f"{live.url}/book")
            choose(page, "结婚登记")
            taken = page.get_by_test_id("slots").locator("button.slot").first
            expect(taken).to_be_disabled()
            expect(taken).to_contain_text("已约满")
        finally:
            context.close()

        kiosk_context, kiosk = open_kiosk(browser, live.url, live.tokens["K1"])
        try:
            kiosk.get_by_test_id("checkin").tap()
            expect(kiosk.locator(".hint")).to_have_text("请输入预约码，或将身份证放在读卡器上")
            kiosk.keyboard.type("110105198001010016")  # an ID card with no booking today
            kiosk.keyboard.press("Enter")
            expect(kiosk.locator(".pin-message")).to_have_text(
                "未找到该身份证今日的预约，请输入预约码，或直接取号。"
            )
            kiosk.keyboard.type(ID_NUMBER.lower())  # the booker's card on the reader, as it types
            kiosk.keyboard.press("Enter")
            kiosk.get_by_test_id("ticket").wait_for(timeout=TIMEOUT)
            assert kiosk.get_by_test_id("priority-badge").inner_text() == "优先"
        finally:
            kiosk_context.close()
        assert live.api("GET", f"/booking/{code}").json()["status"] == "checked_in"


def test_a_person_who_did_not_keep_bookings_is_told_when_booking_opens_again(browser, live):
    engine = create_engine(live.env["DATABASE_URL"])
    digest = holder_digest(live.env["SECRET_KEY"], BLOCKED_ID)
    missed = datetime.now(UTC) - timedelta(days=2)
    with engine.begin() as connection:
        hall_id, item_id = connection.execute(
            text(
                "SELECT i.hall_id, i.id FROM service_item i JOIN queue q ON q.id = i.queue_id WHERE q.code = 'C'"
            )
        ).all()[0]
        for n in range(2):  # two bookings never checked in
            connection.execute(
                text(
                    "INSERT INTO appointment (hall_id, code, item_id, slot_start, slot_end, name, holder_digest,"
                    " status, created_at) VALUES (:hall, :code, :item, :start, :end, '', :digest, 'booked', :start)"
                ),
                {"hall": hall_id, "code": f"NOSHOW{n}Z", "item": item_id, "digest": digest,
                 "start": missed - timedelta(days=n, minutes=30), "end": missed - timedelta(days=n)},
            )  # fmt: skip
    engine.dispose()
    blocked_until = (missed + timedelta(days=30)).astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
    with hall_changed(live, CHANGE, RESTORE, **booking_hall()):
        context, page = phone_page(browser, live.url)
        try:
            choose(page, "结婚登记")
            page.get_by_test_id("slots").locator("button.slot:not([disabled])").first.click()
            page.get_by_label("姓名").fill("李四")
            page.get_by_label("身份证号").fill(BLOCKED_ID)
            page.get_by_role("button", name="预约", exact=True).click()
            expect(page.get_by_test_id("error")).to_have_text(
                f"多次预约未到，{blocked_until} 起方可再次预约。"
            )
        finally:
            context.close()


def test_a_citizen_at_the_door_checks_in_from_the_phone(browser, live):
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    if now.hour == 23 and now.minute >= 55:
        pytest.skip("the day's last slot is ending: nothing left to book today")
    door = door_token(live.env["SECRET_KEY"], "qingshan")
    with hall_changed(live, CHANGE, RESTORE, **booking_hall()):
        # Queue B's: the other tests book queue C's slot of the moment.
        booked = booked_now(live, "B", "王五", ARRIVING_ID)
        refused = live.api("POST", f"/booking/{booked['code']}/arrive", json={"door": "not-the-door"})
        assert refused.status_code == 403
        context = browser.new_context(viewport=PHONE, has_touch=True, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        try:
            page.goto(f"{live.url}/book/{booked['code']}")  # the booking's page: this phone remembers it
            expect(page.get_by_test_id("code")).to_have_text(booked["code"])
            assert page.goto(f"{live.url}/arrive/not-the-door").status == 404
            page.goto(f"{live.url}/arrive/{door}")  # the QR code at the door
            expect(page.get_by_role("heading", name="我已到达")).to_be_visible()
            page.get_by_role("button", name=f"我已到达（预约码 {booked['code']}）").click()
            expect(page).to_have_url(re.compile(r"/t/[\w-]+$"))
            expect(page.locator(".number")).to_have_text(re.compile(r"^B\d{3}$"))
        finally:
            context.close()
        assert live.api("GET", f"/booking/{booked['code']}").json()["status"] == "checked_in"


def test_a_remote_ticket_enters_the_line_only_when_its_holder_arrives(browser, live):
    door = door_token(live.env["SECRET_KEY"], "qingshan")
    # Queue F: the modules after this one count on the first numbers of queues D and E.
    rules = booking_hall() | {
        "booking": json.dumps({"days_ahead": 1, "capacity": 1, "queues": {"F": 0}, "remote_queues": ["F"]})
    }

    def waiting_in_f() -> int:
        return next(q["waiting"] for q in live.api("GET", "/queues").json() if q["code"] == "F")

    with hall_changed(live, CHANGE, RESTORE, **rules):
        context = browser.new_context(viewport=PHONE, has_touch=True, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        try:
            page.goto(f"{live.url}/book")
            page.locator("section.department", has_text="不动产登记中心").get_by_role("button").first.click()
            remote_form = page.get_by_test_id("remote")
            expect(remote_form).to_contain_text("或现在远程取号，到达后签到排队")
            expect(page.get_by_test_id("slots")).to_have_count(0)  # queue F takes no bookings here
            before = waiting_in_f()
            remote_form.get_by_label("身份证号").fill("110105199001010037")
            remote_form.get_by_role("button", name="取号").click()
            expect(page).to_have_url(re.compile(r"/t/[\w-]+$"))
            number = page.locator(".number").inner_text()
            expect(page.locator(".status")).to_contain_text("远程取号：到达大厅后")
            assert waiting_in_f() == before  # in no line yet

            page.goto(f"{live.url}/arrive/{door}")  # at the hall's door
            page.get_by_role("button", name=f"我已到达（号码 {number}）").click()
            expect(page).to_have_url(re.compile(r"/t/[\w-]+$"))
            expect(page.locator(".status")).to_have_text("等候中")
            assert waiting_in_f() == before + 1  # in its line now
        finally:
            context.close()


def test_a_booking_on_a_day_the_hall_then_closes_tells_its_booker(browser, live):
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    if now.hour == 23 and now.minute >= 55:
        pytest.skip("the day's last slot is ending: nothing left to book today")
    with hall_changed(live, CHANGE, RESTORE, **booking_hall()):
        # Queue E's: the other tests book queue B's and C's slot of the moment.
        code = booked_now(live, "E", "赵六", ID_NUMBER)["code"]
        closure = {"kind": "closed", "reason": "停电检修"}
        assert live.api("PUT", f"/calendar/days/{now.date()}", "manager", json=closure).ok
        context = browser.new_context(viewport=PHONE, has_touch=True, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        try:
            page.goto(f"{live.url}/book/{code}")
            expect(page.get_by_test_id("off-calendar")).to_have_text(
                "该日大厅休息（停电检修），请取消本预约，另约其他日期。"
            )
            page.once("dialog", lambda dialog: dialog.accept())
            page.get_by_role("button", name="取消预约").click()
            expect(page.get_by_test_id("booking")).to_have_attribute("data-status", "cancelled")
        finally:
            context.close()


def test_the_booking_page_in_english_names_services_by_the_catalogue(browser, live):
    context, page = phone_page(browser, live.url)
    try:
        page.locator(".language").click()
        civil = page.locator("section.department", has_text="Qingshan County Civil Affairs Bureau")
        expect(civil.locator("h3")).to_have_text("Qingshan County Civil Affairs Bureau")
        expect(civil.get_by_role("button", name="Marriage registration", exact=True)).to_be_visible()
        expect(page.locator(".zh-badge")).to_have_count(0)  # the demo names every service in English
    finally:
        context.close()
