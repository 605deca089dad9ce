"""The audit trail's anchors: signed checkpoints of its head in a file outside the database show
a cut tail, a rewritten stretch and a forged checkpoint, which the hash chain alone cannot; on
PostgreSQL the table refuses to be changed at all; a walk can go on from where the last one
left off."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from hallq.present.audit import VerifiedHeads
from hallq.sweeper import Sweeper
from queue_core import Database, audit, audit_anchors, city, make_engine
from queue_core.models import AuditEntry
from queue_core.ticketing import issue_ticket
from tests.conftest import POSTGRES_URL
from tests.tampering import cut_tail, rewrite_from, tampering

both_databases = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def key() -> bytes:
    return bytes(range(32))


@pytest.fixture
def anchoring(db, hall, key, tmp_path) -> audit_anchors.Anchoring:
    return audit_anchors.Anchoring(db, hall.code, key, tmp_path / "anchors.jsonl")


def act(db, hall, times: int = 1) -> None:
    for _ in range(times):
        with (
            audit.acting_as(audit.Actor(hall.id, "kiosk", "K1", action="api.create_ticket")),
            db.write() as uow,
        ):
            issue_ticket(uow, hall, queue_code="A")


def ids(db, hall) -> list[int]:
    with db.read() as uow:
        return list(
            uow.session.scalars(
                select(AuditEntry.id).where(AuditEntry.hall_id == hall.id).order_by(AuditEntry.id)
            )
        )


def findings(db, hall, anchoring) -> audit_anchors.Finding:
    anchors = audit_anchors.read(anchoring.anchors_file, anchoring.key, hall.code)
    with db.read() as uow:
        verdict = audit.verify(uow, hall.id, watch={a.checkpoint.last_id for a in anchors if a.checkpoint})
    return audit_anchors.check(verdict, anchors)


@both_databases
def test_a_cut_tail_is_named_with_what_the_checkpoint_saw(db, hall, anchoring):
    act(db, hall, 5)
    anchoring.write("command")
    first = ids(db, hall)
    assert findings(db, hall, anchoring).problems == []

    cut_tail(db, hall.id, keep=3)
    with db.read() as uow:  # what remains is a whole chain: the chain alone cannot tell
        assert audit.verify(uow, hall.id).broken is None
    seen = audit_anchors.read(anchoring.anchors_file, anchoring.key, hall.code)[0].checkpoint
    assert seen is not None
    assert findings(db, hall, anchoring).problems == [
        f"entries after #{first[2]} missing: the checkpoint of {audit_anchors.when(seen)} "
        f"saw 5 entries up to #{first[4]}"
    ]


@both_databases
def test_a_rewritten_stretch_is_placed_between_the_checkpoints(db, hall, anchoring, clock):
    act(db, hall, 3)
    anchoring.write("periodic")  # sees #1..#3
    clock.advance(minutes=5)
    act(db, hall, 3)
    anchoring.write("periodic")  # sees #1..#6
    clock.advance(minutes=5)
    act(db, hall, 1)  # #7: after both
    entry = ids(db, hall)

    def relabel(e: AuditEntry) -> None:
        e.actor_id = "K9"

    rewrite_from(db, hall.id, entry[4], relabel)  # the fifth says K9, every hash from it recomputed
    with db.read() as uow:
        assert audit.verify(uow, hall.id).broken is None  # the chain holds: it was rewritten whole
    found = findings(db, hall, anchoring)
    [problem] = found.problems
    assert problem.startswith(f"entries up to #{entry[5]} were rewritten: the checkpoint of ")
    assert f"saw entry 6, #{entry[5]}, with hash " in problem
    assert f"still agrees, so the rewrite lies in #{entry[2] + 1}..#{entry[5]}" in problem
    assert found.anchored.last_id == entry[2] and found.unanchored == 1  # #7: no checkpoint saw it


@both_databases
def test_a_checkpoint_whose_signature_fails_is_named_and_not_trusted(db, hall, anchoring):
    act(db, hall, 4)
    anchoring.write("command")
    line = json.loads(anchoring.anchors_file.read_text())
    # Whoever cut the tail also "corrects" the checkpoint, without the key.
    cut_tail(db, hall.id, keep=2)
    forged = line | {"entries": 2, "last_id": ids(db, hall)[-1]}
    other_key = audit_anchors.Anchoring(db, hall.code, b"x" * 32, anchoring.anchors_file)
    anchoring.anchors_file.write_text(json.dumps(forged) + "\n")
    other_key.write("command")  # signed, but with a key of the intruder's own

    found = findings(db, hall, anchoring)
    assert len(found.problems) == 2 and found.anchored is None and found.unanchored == 2
    assert "fails: its content was changed after it was signed: it is not trusted" in found.problems[0]
    assert "fails: it was signed with another key" in found.problems[1]


@both_databases
def test_entries_after_the_newest_checkpoint_are_not_yet_anchored(db, hall, anchoring):
    act(db, hall, 3)
    checkpoint = anchoring.write("command")
    act(db, hall, 2)
    found = findings(db, hall, anchoring)
    assert (found.problems, found.anchored, found.unanchored) == ([], checkpoint, 2)
    assert audit_anchors.newest(anchoring.anchors_file, anchoring.key, hall.code).checkpoint == checkpoint


@both_databases
def test_the_sweeper_anchors_a_grown_trail_a_new_day_and_its_stop(db, hall, anchoring, clock):
    sweeper = Sweeper(db, hall.code, anchoring=anchoring)
    act(db, hall, 2)
    sweeper.sweep()

    def written() -> list[audit_anchors.Checkpoint | None]:
        return [a.checkpoint for a in audit_anchors.read(anchoring.anchors_file, anchoring.key, hall.code)]

    [first] = written()  # the chain as it stood after the sweep's own work (its alarm scan's entry)
    swept = ids(db, hall)
    assert (first.reason, first.entries, first.last_id) == ("periodic", len(swept), swept[-1])
    sweeper._next_checkpoint = 0  # five minutes later
    sweeper.sweep()
    assert len(written()) == 1  # nothing new: nothing written
    act(db, hall)
    sweeper._next_checkpoint = 0
    sweeper.sweep()
    assert [c.entries for c in written()] == [len(swept), len(swept) + 1]
    clock.advance(days=1)  # the hall's next day, nothing new since
    sweeper._next_checkpoint = 0
    sweeper.sweep()
    sweeper.stop()
    assert [(c.reason, c.entries) for c in written()] == [
        ("periodic", len(swept)),
        ("periodic", len(swept) + 1),
        ("day-end", len(swept) + 1),
        ("shutdown", len(swept) + 1),
    ]


def test_the_key_file_is_made_once_and_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "keys" / "audit-key"
    with ThreadPoolExecutor(8) as pool:  # processes of one hall starting at once get one key
        keys = set(pool.map(lambda _: audit_anchors.ensure_key(path), range(8)))
    [key] = keys
    assert len(key) == 32 and path.stat().st_mode & 0o777 == 0o600
    assert audit_anchors.ensure_key(path) == key
    assert [p.name for p in path.parent.iterdir()] == ["audit-key"]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_postgresql_refuses_to_update_delete_or_truncate_an_entry(db, hall):
    act(db, hall, 2)
    [first, _second] = ids(db, hall)
    for statement in (
        update(AuditEntry).where(AuditEntry.id == first).values(actor_id="K9"),
        delete(AuditEntry).where(AuditEntry.id == first),
        text("TRUNCATE audit_entry"),
    ):
        with pytest.raises(DBAPIError, match="the audit trail is append-only"), db.write() as uow:
            uow.session.execute(statement)
    with db.read() as uow:
        assert audit.verify(uow, hall.id).entries == 2
        assert uow.session.get(AuditEntry, first).actor_id == "K1"


@both_databases
def test_a_walk_from_the_last_mark_still_finds_an_edit_made_after_it(db, hall):
    act(db, hall, 3)
    with db.read() as uow:
        mark = audit.verify(uow, hall.id).held
    assert mark is not None
    act(db, hall, 3)
    after = ids(db, hall)[4]
    with tampering(db) as uow:
        uow.session.execute(update(AuditEntry).where(AuditEntry.id == after).values(address="10.6.6.6"))
    with db.read() as uow:
        assert audit.still_holds(uow, hall.id, mark)
        verdict = audit.verify(uow, hall.id, since=mark)
    assert (verdict.broken.id, verdict.entries, verdict.total) == (after, 4, 6)
    assert "edited" in verdict.problem

    with tampering(db) as uow:  # the mark's own entry edited: a walk may not go on from it
        uow.session.execute(update(AuditEntry).where(AuditEntry.id == mark.id).values(address="10.6.6.6"))
    with db.read() as uow:
        assert not audit.still_holds(uow, hall.id, mark)


@both_databases
def test_the_page_walks_only_what_was_appended_since_its_last_walk(db, hall):
    heads = VerifiedHeads()
    act(db, hall, 3)
    with db.read() as uow:
        assert heads.verify(uow, hall.id).entries == 3
    first = ids(db, hall)[0]
    with tampering(db) as uow:  # an entry before the mark: left to `hallq audit verify`
        uow.session.execute(update(AuditEntry).where(AuditEntry.id == first).values(address="10.6.6.6"))
    act(db, hall, 2)
    with db.read() as uow:
        again = heads.verify(uow, hall.id)
        whole = audit.verify(uow, hall.id)
    assert (again.broken, again.entries, again.total) == (None, 5, 5)  # it walked the two new ones only
    assert whole.broken.id == first

    newest = ids(db, hall)[-1]
    with tampering(db) as uow:  # the entry it left off at: it starts again from the first
        uow.session.execute(update(AuditEntry).where(AuditEntry.id == newest).values(address="10.6.6.6"))
    with db.read() as uow:
        assert heads.verify(uow, hall.id).broken.id == first


def documented_grants(role: str, schema: str) -> list[str]:
    """The SQL docs/audit.md gives for the application's role, for this role and schema."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "audit.md").read_text(encoding="utf-8")
    block = doc.split("## On PostgreSQL", 1)[1].split("```sql\n", 1)[1].split("```", 1)[0]
    return [
        line.rstrip(";").replace("hallq_app", role).replace("SCHEMA public", f"SCHEMA {schema}")
        for line in block.splitlines()
        if line.strip()
    ]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_the_documented_application_role_appends_but_cannot_change_the_trail_or_its_trigger(
    engine, db, hall, clock
):
    with engine.connect() as connection:
        schema = connection.scalar(text("SELECT current_schema()"))
    role = f"hallq_app_{uuid.uuid4().hex[:8]}"
    with engine.begin() as connection:
        for statement in documented_grants(role, schema):
            connection.execute(text(statement))
    url = make_url(POSTGRES_URL).set(username=role, password="change-me")
    app_engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        as_app = Database(app_engine, clock)
        act(as_app, hall, 2)  # the application appends as before
        with as_app.read() as uow:
            assert audit.verify(uow, hall.id).entries == 2
        first = ids(db, hall)[0]
        for statement, refusal in (
            (f"UPDATE audit_entry SET actor_id = 'K9' WHERE id = {first}", "permission denied"),
            (f"DELETE FROM audit_entry WHERE id = {first}", "permission denied"),
            ("TRUNCATE audit_entry", "permission denied"),
            ("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_change", "must be owner"),
            ("DROP TRIGGER audit_entry_no_change ON audit_entry", "must be owner"),
            ("SET session_replication_role = replica", "permission denied"),
        ):
            with pytest.raises(DBAPIError, match=refusal), app_engine.begin() as connection:
                connection.execute(text(statement))
    finally:
        app_engine.dispose()
        with engine.begin() as connection:
            connection.execute(text(f"DROP OWNED BY {role}"))
            connection.execute(text(f"DROP ROLE {role}"))


@both_databases
def test_the_city_reads_each_halls_newest_checkpoint_from_its_copy_in_the_database(
    db, hall, anchoring, clock
):
    with db.read() as uow:
        assert city.figures(uow, hall)["audit_checkpoint"] is None
    act(db, hall, 2)
    anchoring.write("periodic")
    clock.advance(minutes=5)
    act(db, hall)
    newest = anchoring.write("periodic")
    with db.read() as uow:
        assert city.figures(uow, hall)["audit_checkpoint"] == {"at": newest.at.isoformat(), "entries": 3}


@both_databases
def test_a_checkpoint_moved_to_another_hall_fails_its_signature_and_another_halls_line_is_skipped(
    db, hall, anchoring, key
):
    act(db, hall, 2)
    anchoring.write("command")
    line = json.loads(anchoring.anchors_file.read_text())
    other_hall = audit_anchors.Anchoring(db, hall.code, b"o" * 32, anchoring.anchors_file)
    other_hall.write("command")  # a line of another hall's own key and code...
    lines = anchoring.anchors_file.read_text().splitlines()
    lines[1] = json.dumps(json.loads(lines[1]) | {"hall": "baishui"})
    # ...and this hall's line moved to that hall, to hide it
    anchoring.anchors_file.write_text("\n".join([json.dumps(line | {"hall": "baishui"}), lines[1]]) + "\n")
    [moved] = audit_anchors.read(anchoring.anchors_file, key, hall.code)
    assert not moved.signed and "its content was changed after it was signed" in moved.problem
