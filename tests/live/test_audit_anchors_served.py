"""A real `hallq serve` anchors the audit trail: a signed checkpoint soon after it starts and one
as it stops, which `hallq audit verify` then finds agreeing with the chain."""

from __future__ import annotations

import json
import re
import time

from queue_core import Database, SystemClock, audit, make_engine
from tests.live.conftest import new_hall


def checkpoints(anchors) -> list[dict]:
    return [json.loads(line) for line in anchors.read_text().splitlines()] if anchors.exists() else []


def test_the_server_signs_the_head_when_it_starts_and_when_it_stops(tmp_path):
    hall = new_hall(tmp_path)
    hall.tokens["K1"] = hall.hallq("token", "issue", "--device", "K1").strip()
    anchors = tmp_path / "instance" / "audit-anchors.jsonl"
    server = hall.serve(tmp_path / "server.log")
    try:
        deadline = time.monotonic() + 20
        while not checkpoints(anchors) and time.monotonic() < deadline:
            time.sleep(0.1)
        [started] = checkpoints(anchors)  # the sweeper's first pass (with its own alarm entries)
        assert started["reason"] == "periodic"
        for _ in range(2):
            assert hall.api("POST", "/tickets", "K1", json={"queue": "A"}).status_code == 201
        waiting = re.search(r"(\d+) entries after #\d+ are not yet anchored", hall.hallq("audit", "verify"))
        assert waiting and int(waiting[1]) >= 2  # the two tickets, maybe alarms too
    finally:
        server.terminate()
        server.wait(timeout=15)
    database = Database(make_engine(hall.env["DATABASE_URL"]), SystemClock())
    with database.read() as uow:
        chain = audit.verify(uow, 1)
    database.engine.dispose()
    stopped = checkpoints(anchors)[-1]
    assert (stopped["reason"], stopped["entries"], stopped["head"]) == (
        "shutdown",
        chain.total,
        chain.head.hash,
    )
    verified = hall.hallq("audit", "verify")
    assert f"{chain.total} entries hold" in verified and f"saw {chain.total} entries up to #" in verified
    assert "not yet anchored" not in verified
