"""The demo hall's people and a lively morning, so a newcomer sees a working hall at once."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import click
from sqlalchemy import func, select

from queue_core import Database, ManualClock, UnitOfWork, calling, evaluations, windows
from queue_core.halls import hall_by_code, window_by_number
from queue_core.models import Hall, Outcome, Role, Staff, Ticket, TicketStatus
from queue_core.spec import HallSpec

from .auth import hash_password
from .simulate import DayPlan, simulate_day

DEMO_PASSWORD = "Hallq-demo"
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
    """The last `minutes` of a working morning (never before today's 00:01), simulated on a
    clock of its own through the same core calls the server uses (hallq.simulate): the first
    12 windows' clerks sign in, citizens take tickets a little faster than they are served,
    clerks call, serve and finish, citizens rate on the keypads; so today's service times
    (and the kiosk's wait estimates) are real figures. At the end one window goes to a
    meeting and another has just called someone."""
    now = db.clock.now()
    zone = ZoneInfo(spec.hall.timezone)
    midnight = datetime.combine(now.astimezone(zone).date(), time(0, 1), tzinfo=zone)
    # At least a minute, so that the clerks have signed in even just after midnight.
    opens = min(max(now - timedelta(minutes=minutes), midnight), now - timedelta(minutes=1))
    staffed = tuple(w.number for w in spec.windows[:12])
    plan = DayPlan(
        day=now.astimezone(zone).date(),
        opens=opens,
        arrivals_end=now,
        closes=None,
        tickets=round(2.2 * (now - opens).total_seconds() / 60),
        windows=staffed,
        curve=((0.0, 1.0), (1.0, 1.0)),
        pause_share=0.0,
        sign_in_early=False,
        presses=_PRESSES,
    )
    simulate_day(db, spec, plan, seed=7, until=now)
    with Database(db.engine, ManualClock(now)).write() as uow:
        hall = hall_by_code(uow, spec.hall.code)
        meeting, caller = staffed[-1], staffed[-2]
        _see_off(uow, hall, meeting)
        windows.pause(uow, hall, meeting, None, "会议")
        _see_off(uow, hall, caller)
        calling.call_next(uow, hall, caller, window_by_number(uow, hall.id, caller).clerk_id)
        evaluations.close_expired(uow, hall)


def _see_off(uow: UnitOfWork, hall: Hall, number: int) -> None:
    """Finish the service at the window, if it has a citizen."""
    window = window_by_number(uow, hall.id, number)
    if window.current_ticket_id is None:
        return
    ticket = uow.session.get(Ticket, window.current_ticket_id)
    if ticket is not None and ticket.status == TicketStatus.CALLED:
        calling.start(uow, hall, number, window.clerk_id)
    calling.finish(uow, hall, number, window.clerk_id, Outcome.COMPLETED)


# What citizens press on the keypad, as halls publish it: most are pleased, some do not rate,
# a few are not (and their cases are waiting for the manager).
_PRESSES: dict[int | None, float] = {5: 60, 4: 18, 3: 6, 2: 2, 1: 1, None: 13}
