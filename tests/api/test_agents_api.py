"""The API of hall PCs' agents: their part of hall.toml, the print queue's claim and result,
their printers' reports, and a keypad read by its PC's agent."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
import time
from dataclasses import replace

import pytest
from sqlalchemy import select
from websockets.asyncio.client import connect

from hallq.live import NAMESPACE
from hallq.live.subscriptions import KINDS
from queue_core.models import AgentState
from tests.conftest import DEMO_CONFIG, Api, app_settings, initialise_database


@pytest.fixture
def api(tmp_path, clock):
    """The demo hall where K1's printer is on agent pc-1 (its backup, a dummy, on pc-2) and
    keypad P3 is a physical one on pc-1."""
    from hallq import create_app

    config = tmp_path / "config"
    shutil.copytree(DEMO_CONFIG, config)
    toml = config / "hall.toml"
    text = toml.read_text(encoding="utf-8")
    text = text.replace(
        'printer = "dummy:"',
        'printer = { url = "tcp://127.0.0.1:9", agent = "pc-1" }\nbackup_printer = { url = "dummy:", agent = "pc-2" }',
        1,
    )
    text = text.replace(
        '[[keypads]]\nid = "P3"\nwindow = 3\n',
        '[[keypads]]\nid = "P3"\nwindow = 3\ndevice = "serial:///dev/ttyUSB3"\nagent = "pc-1"\n',
    )
    toml.write_text(
        text + '\n[[agents]]\nid = "pc-1"\nname = "入口电脑"\n\n[[agents]]\nid = "pc-2"\n', encoding="utf-8"
    )
    settings = app_settings(tmp_path, config_dir=config)
    initialise_database(settings, clock).engine.dispose()
    app = create_app(settings, clock=clock)
    yield Api(app)
    app.extensions["hallq"].db.engine.dispose()


def test_an_agent_reads_its_own_part_of_the_hall(api):
    config = api.get("/agents/me", "device:pc-1").get_json()
    assert config["id"] == "pc-1" and config["name"] == "入口电脑"
    assert config["kiosks"] == [
        {"kiosk": "K1", "printers": [{"name": "K1", "settings": {
            "url": "tcp://127.0.0.1:9", "mode": "text", "paper": 58, "encoding": "gb18030", "nv_logo": None, "cut": "partial",
        }}]}
    ]  # fmt: skip
    assert [k["id"] for k in config["keypads"]] == ["P3"] and config["led"] is None
    assert api.get("/agents/me", "device:K1").status_code == 403  # a kiosk is not an agent


def test_a_job_is_claimed_once_printed_once_and_a_failure_goes_to_the_backup_on_the_other_pc(api):
    api.post("/agents/me/state", "device:pc-1", {"printers": {"K1": {"status": "online"}}})
    ticket = api.post("/tickets", "device:K1", {"queue": "A"}).get_json()
    job = ticket["print"]
    assert (job["status"], job["printer"]) == ("queued", "K1")
    assert api.post(f"/print-jobs/{job['job_id']}/claim", "device:pc-2").status_code == 403  # not its printer
    claimed = api.post(f"/print-jobs/{job['job_id']}/claim", "device:pc-1").get_json()
    assert (claimed["kiosk"], claimed["printer"], claimed["reprint"], claimed["abandoned"]) == (
        "K1",
        "K1",
        False,
        False,
    )
    document = api.get(f"/print-jobs/{job['job_id']}/document?printer=K1", "device:pc-1")
    assert document.mimetype == "application/octet-stream" and ticket["number"].encode() in document.data
    # The same agent claiming again (it restarted mid-job) prints it again, marked.
    assert api.post(f"/print-jobs/{job['job_id']}/claim", "device:pc-1").get_json()["reprint"] is True
    failed = {"status": "failed", "printer": "K1", "error": "K1: paper_out"}
    moved = api.post(f"/print-jobs/{job['job_id']}/result", "device:pc-1", failed).get_json()
    assert (moved["status"], moved["printer"]) == ("queued", "K1 backup")
    assert api.post(f"/print-jobs/{job['job_id']}/claim", "device:pc-1").status_code == 403  # pc-2's now
    assert api.post(f"/print-jobs/{job['job_id']}/claim", "device:pc-2").status_code == 200
    done = {"status": "printed", "printer": "K1 backup", "bytes": 600}
    assert (
        api.post(f"/print-jobs/{job['job_id']}/result", "device:pc-2", done).get_json()["status"] == "printed"
    )
    assert api.post(f"/print-jobs/{job['job_id']}/result", "device:pc-2", done).status_code == 409  # once
    assert api.post(f"/print-jobs/{job['job_id']}/claim", "device:pc-2").status_code == 409


def test_a_bad_report_is_refused_naming_the_field(api):
    answer = api.post("/agents/me/state", "device:pc-1", {"printers": {"K1": {"status": "on fire"}}})
    assert answer.status_code == 422
    assert any("printers.K1.status" in p["field"] for p in answer.get_json()["fields"])


def test_an_agent_rates_only_at_the_windows_of_its_keypads(api):
    answer = api.post("/windows/3/evaluation", "device:pc-1", {"score": 5})
    assert answer.status_code == 409  # allowed: nothing awaits a rating at window 3 now
    assert api.post("/windows/4/evaluation", "device:pc-1", {"score": 5}).status_code == 403
    assert api.post("/windows/3/evaluation", "device:pc-2", {"score": 5}).status_code == 403


@pytest.fixture
def app(api):
    """The agents' hall, for the real server of `served`."""
    return api.app


def test_an_agent_that_leaves_while_its_arrival_is_written_is_offline(api, served, monkeypatch):
    """Its arrival and its leaving are each written in a worker thread. Here the arrival's
    write is slow (a busy database) and the agent leaves meanwhile: the leaving must still be
    written after the arrival, or the hall would show the PC connected for good."""
    arriving, arrived = threading.Event(), threading.Event()
    agent = KINDS["agent"]
    joined = agent.joined
    assert joined is not None

    def slow_arrival(value: str, connection: str, address: str) -> None:
        arriving.set()
        time.sleep(0.5)
        joined(value, connection, address)
        arrived.set()

    monkeypatch.setitem(KINDS, "agent", replace(agent, joined=slow_arrival))
    token = api.token("device:pc-1")
    uri = served.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"

    async def arrive_and_leave() -> None:
        async with connect(uri, compression=None) as ws:
            assert str(await ws.recv()).startswith("0")
            await ws.send(f"40{NAMESPACE}," + json.dumps({"token": token}))
            assert str(await ws.recv()).startswith(f"40{NAMESPACE},")
            await ws.send(f'42{NAMESPACE},0["subscribe",{{"agent":"pc-1"}}]')
            await asyncio.to_thread(arriving.wait, 10)

    asyncio.run(arrive_and_leave())
    assert arrived.wait(10)
    deadline = time.monotonic() + 5
    while agent_row(api).online and time.monotonic() < deadline:
        time.sleep(0.05)
    row = agent_row(api)
    assert (row.online, row.connection) == (False, ""), "the PC is shown connected after it left"


def agent_row(api):
    with api.app.extensions["hallq"].db.read() as uow:
        return uow.session.scalar(select(AgentState).where(AgentState.agent == "pc-1"))
