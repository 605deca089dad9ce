"""The demo hall's people and a lively morning, so a newcomer sees a working hall at once."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import click
from sqlalchemy import func, select

from queue_core import Database, ManualClock, UnitOfWork, calling, evaluations, windows
from queue_core.halls import hall_by_code
from queue_core.models import Hall, Outcome, Priority, Role, Staff
from queue_core.spec import HallSpec
from queue_core.ticketing import issue_ticket

from .auth import hash_password

DEMO_PASSWORD = "hallq-demo"
CLERKS = [
    "王芳", "李静", "张伟", "刘洋", "陈晨", "杨帆", "赵丽", "黄磊",
    "周敏", "吴强", "徐婷", "孙浩", "马琳", "朱军", "胡悦", "郭峰",
]  # fmt: skip


def seed(db: Database, spec: HallSpec) -> None:
    """Add the demo staff and a morning's tickets, once (a second run changes nothing)."""
    with db.write() as uow:
        hall = hall_by_code(uow, spec.hall.code)
        if uow.session.scalar(select(func.count()).select_from(Staff)):
            return
        password = hash_password(DEMO_PASSWORD)
        people = [("admin", "系统管理员", "A0001", Role.ADMIN), ("manager", "张敏", "M0001", Role.MANAGER),
                  ("guide", "李娜", "G0001", Role.GUIDE)]  # fmt: skip
        people += [(f"clerk{n}", name, f"{1000 + n}", Role.CLERK) for n, name in enumerate(CLERKS, start=1)]
        for username, name, badge, role in people:
            uow.session.add(
                Staff(
                    hall_id=hall.id,
                    username=username,
                    name=name,
                    badge=badge,
                    role=role,
                    password_hash=password,
                )
            )
    _replay_morning(db, spec)
    click.echo("demo staff: admin, manager, guide, clerk1..clerk16 (one per window)")


def _replay_morning(db: Database, spec: HallSpec, minutes: int = 100) -> None:
    """The last `minutes` of a working morning, on a clock of its own, through the same core
    calls the server uses: tickets arrive, clerks call, serve for 3 to 12 minutes and finish,
    so today's service times (and the kiosk's wait estimates) are real figures."""
    rng = random.Random(7)
    now = db.clock.now()
    midnight = datetime.combine(now.astimezone(ZoneInfo(spec.hall.timezone)).date(), time(0, 1),
                                tzinfo=ZoneInfo(spec.hall.timezone))  # fmt: skip
    clock = ManualClock(max(now - timedelta(minutes=minutes), midnight))
    morning = Database(db.engine, clock)
    staffed = [w.number for w in spec.windows[:12]]
    busy_until: dict[int, datetime] = {}
    with morning.write() as uow:
        hall = hall_by_code(uow, spec.hall.code)
        clerks = {s.username: s for s in uow.session.scalars(select(Staff).where(Staff.role == Role.CLERK))}
        for number in staffed:
            windows.sign_in(uow, hall, number, clerks[f"clerk{number}"])
    while clock.now() < now - timedelta(minutes=1):
        clock.advance(seconds=rng.randint(40, 110))
        with morning.write() as uow:
            hall = hall_by_code(uow, spec.hall.code)
            for _ in range(rng.choice((1, 2, 2, 3))):
                queue = rng.choice(spec.queues).code
                priority = Priority.SENIOR if rng.random() < 0.08 else None
                issue_ticket(
                    uow, hall, queue_code=queue, priority=priority, kiosk_id=rng.choice(spec.kiosks).id
                )
            for number in staffed:
                if busy_until.get(number, clock.now()) > clock.now():
                    continue
                if number in busy_until:
                    calling.finish(uow, hall, number, None, Outcome.COMPLETED)
                    _citizen_rates(uow, hall, spec, number, rng)
                    del busy_until[number]
                if calling.call_next(uow, hall, number, None):
                    calling.start(uow, hall, number, None)
                    busy_until[number] = clock.now() + timedelta(minutes=rng.uniform(3, 12))
    with morning.write() as uow:  # one window is in a meeting, one has just called someone
        hall = hall_by_code(uow, spec.hall.code)
        last = staffed[-1]
        if last in busy_until:
            calling.finish(uow, hall, last, None, Outcome.COMPLETED)
        windows.pause(uow, hall, last, None, "会议")
        evaluations.close_expired(uow, hall)


# What citizens press on the keypad, as halls publish it: most are pleased, some do not rate,
# a few are not (and their cases are waiting for the manager).
_PRESSES = {5: 60, 4: 18, 3: 6, 2: 2, 1: 1, None: 13}


def _citizen_rates(uow: UnitOfWork, hall: Hall, spec: HallSpec, window: int, rng: random.Random) -> None:
    (score,) = rng.choices(list(_PRESSES), weights=list(_PRESSES.values()))
    if score is None:
        return
    keypad = next((k.id for k in spec.keypads if k.window == window), None)
    if keypad is None:  # a window without a keypad is not rated
        return
    reasons = [rng.choice(spec.evaluation.reasons)] if score <= 2 else []
    evaluations.rate_at_window(uow, hall, window, keypad, score, reasons, "")
