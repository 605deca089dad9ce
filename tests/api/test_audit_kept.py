"""等保 2.0 asks that audit records be kept at least 180 days and protected from deletion, and
that the administrator who runs the system cannot remove the record of it. Hallq never deletes
an entry: the retention sweep anonymises citizens' data elsewhere, and no route of the API or
the pages changes the trail (on PostgreSQL a trigger refuses it too: test_audit_anchors)."""

from __future__ import annotations

from sqlalchemy import select

from hallq.sweeper import Sweeper
from queue_core.audit import verify
from queue_core.models import AuditEntry
from queue_core.spec import RetentionSpec
from tests.api.test_personal_data import ZHANG, db, visit


def test_a_years_old_trail_is_whole_after_every_sweep(api, app, clock):
    visit(api, app, clock, ZHANG, "张三", "张三等了一小时")
    with db(app).read() as uow:
        first_day = uow.session.execute(select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id)).all()
    sweeper = Sweeper(db(app), "qingshan", retention_rules=RetentionSpec())
    for days in (31, 150, 200, 400):  # past every retention period, and 180 days well behind
        clock.advance(days=days)
        sweeper.sweep()
        sweeper.anonymise()
    with db(app).read() as uow:
        first_day_now = uow.session.execute(
            select(AuditEntry.id, AuditEntry.hash)
            .where(AuditEntry.id <= first_day[-1].id)
            .order_by(AuditEntry.id)
        ).all()
        verdict = verify(uow, 1)
    assert len(first_day) > 10 and first_day_now == first_day
    assert verdict.broken is None and verdict.entries > len(first_day)


def test_no_route_changes_the_trail_and_the_supervisor_reads_it(api, app):
    changing = [
        (str(rule), sorted(rule.methods - {"GET", "HEAD", "OPTIONS"}))
        for rule in app.url_map.iter_rules()
        if "audit" in str(rule) and rule.methods - {"GET", "HEAD", "OPTIONS"}
    ]
    assert changing == []
    for role in ("admin", "manager", "supervisor"):
        assert api.request("DELETE", "/audit", role).status_code == 405
    assert api.get("/audit", "supervisor").status_code == 200
