"""The demo hall's people and a lively morning, so a newcomer sees a working hall at once."""

from __future__ import annotations

import random

import click
from sqlalchemy import func, select

from queue_core import Database, calling, windows
from queue_core.halls import hall_by_code
from queue_core.models import Outcome, Priority, Role, Staff
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
    rng = random.Random(7)
    with db.write() as uow:
        hall = hall_by_code(uow, spec.hall.code)
        clerks = {s.username: s for s in uow.session.scalars(select(Staff).where(Staff.role == Role.CLERK))}
        for window in spec.windows[:12]:
            windows.sign_in(uow, hall, window.number, clerks[f"clerk{window.number}"])
        windows.pause(uow, hall, spec.windows[11].number, None, "会议")
        for n in range(48):
            queue = rng.choice(spec.queues).code
            priority = Priority.SENIOR if n % 11 == 5 else None
            issue_ticket(uow, hall, queue_code=queue, priority=priority, kiosk_id=spec.kiosks[n % 2].id)
    with db.write() as uow:
        hall = hall_by_code(uow, spec.hall.code)
        for window in spec.windows[:11]:
            if calling.call_next(uow, hall, window.number, None) and window.number % 3:
                calling.start(uow, hall, window.number, None)
                if window.number % 4 == 0:
                    calling.finish(uow, hall, window.number, None, Outcome.COMPLETED)
    click.echo("demo staff: admin, manager, guide, clerk1..clerk16 (one per window)")
