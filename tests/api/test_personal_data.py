"""Citizens' personal data (PIPL): the sweeper anonymises names, ID hashes and comments once
hall.toml's [retention] days have passed and leaves every statistic as it was; a manager exports
or erases one person's data by their ID number, audited without the number."""

from __future__ import annotations

import json
import logging

from sqlalchemy import select

from hallq.sweeper import Sweeper
from queue_core.identity import holder_digest
from queue_core.models import Alarm, Appointment, AuditEntry, ServiceItem, Ticket
from queue_core.retention import Anonymised
from queue_core.spec import RetentionSpec

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(first17: str) -> str:
    """A resident ID number with its check digit."""
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


ZHANG = id_number("11010519491231002")
LI = id_number("44030619850612123")


def db(app):
    return app.extensions["hallq"].db


def item_id(app, code: str = "CRJ001") -> int:
    with db(app).read() as uow:
        return uow.session.scalar(select(ServiceItem.id).where(ServiceItem.code == code))


def visit(api, app, clock, person: str, name: str, comment: str) -> None:
    """The person books a slot (name and ID number) and checks in for it, and takes a ticket
    with their ID number; window 3 serves both, they rate each badly with a comment, and a
    manager verifies the first rating's case with a note quoting them."""
    api.post("/windows/3/sign-in", "clerk3")
    now = clock.now()
    start = now.replace(minute=now.minute // 30 * 30, second=0, microsecond=0).isoformat()  # its slot
    body = {"item_id": item_id(app), "slot_start": start, "name": name, "id_number": person}
    booked = api.post("/appointments", "guide", body)
    assert booked.status_code == 201, booked.get_json()
    assert api.post(f"/appointments/{booked.get_json()['code']}/check-in", "device:K1", {}).status_code == 201
    taken = api.post("/tickets", "device:K1", {"item_id": item_id(app), "id_number": person})
    assert taken.status_code == 201, taken.get_json()
    for _ in range(2):
        clock.advance(minutes=5)
        for step in ("call-next", "start"):
            assert api.post(f"/windows/3/{step}", "clerk3").status_code == 200
        clock.advance(minutes=7)
        assert api.post("/windows/3/finish", "clerk3", {"outcome": "completed"}).status_code == 200
        rating = {"score": 2, "reasons": ["服务效率"], "comment": comment}
        assert api.post("/windows/3/evaluation", "device:P3", rating).status_code == 201
    case = api.get("/evaluations/cases", "manager").get_json()[1]  # newest first: this visit's first
    verified = {"action": "verify", "note": f"已电话联系{name}，{name}称等候太久"}
    assert api.post(f"/evaluations/cases/{case['id']}/steps", "manager", verified).status_code == 200
    api.post("/windows/3/sign-out", "clerk3")


def figures(api, day: str) -> dict:
    """Everything the statistics say about a day: the hall's figures per grouping, and the
    ratings' figures."""
    period = f"from={day}&to={day}"
    found = {
        g: api.get(f"/stats/summary?{period}&group_by={g}", "manager").get_json() for g in ("window", "item")
    }
    found["evaluations"] = api.get(f"/evaluations/summary?{period}", "manager").get_json()
    return found


def ratings(api, day: str) -> list[tuple[int, list[str], str]]:
    listed = api.get(f"/evaluations?from={day}&to={day}", "manager").get_json()
    return [(r["score"], r["reasons"], r["comment"]) for r in listed]


def case_notes(api) -> list[str]:
    return [
        s["note"]
        for c in api.get("/evaluations/cases", "manager").get_json()
        for s in c["steps"]
        if s["note"]
    ]


def holders_and_names(app) -> tuple[list[str | None], list[str]]:
    with db(app).read() as uow:
        holders = list(uow.session.scalars(select(Ticket.holder_digest).order_by(Ticket.id)))
        names = list(uow.session.scalars(select(Appointment.name).order_by(Appointment.id)))
    return holders, names


def alarm_comments(app) -> list[str]:
    with db(app).read() as uow:
        return [
            a.detail["comment"]
            for a in uow.session.scalars(select(Alarm).order_by(Alarm.id))
            if a.kind == "bad_rating"
        ]


def test_the_sweep_anonymises_what_is_due_and_keeps_every_statistic(api, app, clock):
    sweeper = Sweeper(db(app), "qingshan", retention_rules=RetentionSpec())  # 90, 365, 30 days
    digest = holder_digest("test-secret", ZHANG)
    visit(api, app, clock, ZHANG, "张三", "张三等了一小时")
    first_day = "2026-11-23"
    before = figures(api, first_day)
    assert before["window"]["served"] == 2 and before["evaluations"]["bad_count"] == 2
    assert sweeper.anonymise() == Anonymised()  # nothing is due on the day itself

    clock.advance(days=31)  # past the 30 days of the ID hashes, within the others
    assert sweeper.anonymise() == Anonymised(tickets=1)
    assert holders_and_names(app) == ([None, None], ["张三"])
    assert ratings(api, first_day) == [(2, ["服务效率"], "张三等了一小时")] * 2

    clock.advance(days=329)  # day 360: a second person's visit, nothing of it due for a while
    visit(api, app, clock, LI, "李四", "李四的材料被退回三次")
    second_day = "2027-11-18"
    clock.advance(days=10)  # day 370: the first visit's names and comments are due, not the second's
    assert sweeper.anonymise() == Anonymised(appointments=1, comments=2, notes=1)

    assert holders_and_names(app) == ([None, None, None, holder_digest("test-secret", LI)], ["", "李四"])
    assert ratings(api, first_day) == [(2, ["服务效率"], "")] * 2
    assert ratings(api, second_day) == [(2, ["服务效率"], "李四的材料被退回三次")] * 2
    assert case_notes(api) == ["已电话联系李四，李四称等候太久"]
    assert alarm_comments(app) == ["", "", "李四的材料被退回三次", "李四的材料被退回三次"]
    assert figures(api, first_day) == before  # the statistics of the anonymised day are whole
    assert sweeper.anonymise() == Anonymised()  # done once: a second pass finds nothing
    with db(app).read() as uow:
        entry = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "retention.anonymise")
        ).all()
    assert [e.detail["anonymised"] for e in entry] == [
        {"tickets": 1, "appointments": 0, "comments": 0, "notes": 0},
        {"tickets": 0, "appointments": 1, "comments": 2, "notes": 1},
    ]
    assert digest not in json.dumps([e.detail for e in entry])


def test_a_manager_exports_and_erases_one_persons_data_audited_without_the_number(api, app, clock, caplog):
    caplog.set_level(logging.DEBUG)
    visit(api, app, clock, ZHANG, "张三", "张三等了一小时")
    visit(api, app, clock, LI, "李四", "李四的材料被退回三次")
    day = "2026-11-23"
    before = figures(api, day)

    for who, status in (("clerk3", 403), ("guide", 403), ("supervisor", 403), (None, 401)):
        assert api.post("/personal-data/export", who, {"id_number": ZHANG}).status_code == status, who
        assert api.post("/personal-data/erase", who, {"id_number": ZHANG}).status_code == status, who
    wrong = api.post("/personal-data/export", "manager", {"id_number": ZHANG[:-1] + "0"})
    assert wrong.status_code == 422 and wrong.get_json()["fields"][0]["field"] == "id_number"

    exported = api.post("/personal-data/export", "admin", {"id_number": ZHANG})
    assert exported.status_code == 200
    held = exported.get_json()
    assert [(a["name"], a["item_name"], a["status"]) for a in held["appointments"]] == [
        ("张三", "普通护照签发（首次申领）", "checked_in")
    ]
    assert [(t["queue"], t["status"], t["outcome"], t["service_day"]) for t in held["tickets"]] == [
        ("B", "finished", "completed", day)
    ] * 2
    assert [(e["score"], e["comment"], e["case_notes"]) for e in held["evaluations"]] == [
        (2, "张三等了一小时", ["已电话联系张三，张三称等候太久"]),
        (2, "张三等了一小时", []),
    ]

    erased = api.post("/personal-data/erase", "manager", {"id_number": ZHANG.lower()})
    assert erased.status_code == 200
    assert erased.get_json() == {"tickets": 1, "appointments": 1, "comments": 2, "notes": 1}
    assert api.post("/personal-data/export", "manager", {"id_number": ZHANG}).get_json() == {
        "tickets": [],
        "appointments": [],
        "evaluations": [],
    }
    others = api.post("/personal-data/export", "manager", {"id_number": LI}).get_json()
    assert [a["name"] for a in others["appointments"]] == ["李四"] and len(others["tickets"]) == 2
    assert [e["comment"] for e in others["evaluations"]] == ["李四的材料被退回三次"] * 2
    assert ratings(api, day) == [(2, ["服务效率"], "李四的材料被退回三次")] * 2 + [(2, ["服务效率"], "")] * 2
    assert figures(api, day) == before

    trail = api.get("/audit", "supervisor").get_json()
    by_action = {e["action"]: e for e in reversed(trail)}  # the latest of each
    export_entry, erase_entry = by_action["api.export_personal_data"], by_action["api.erase_personal_data"]
    assert (export_entry["actor"]["id"], erase_entry["actor"]["id"]) == ("manager", "manager")
    assert set(export_entry["detail"]["exported"]) == {"tickets", "appointments", "evaluations"}
    assert erase_entry["detail"]["anonymised"] == erased.get_json()
    assert len(erase_entry["detail"]["rows"]["evaluations"]) == 2
    written = json.dumps(trail, ensure_ascii=False)
    for personal in (
        ZHANG,
        LI,
        holder_digest("test-secret", ZHANG),
        "张三",
        "李四",
        "等了一小时",
        "退回三次",
    ):
        assert personal not in written, personal
        assert personal not in caplog.text, personal
