"""The API of hall PCs' agents: their part of hall.toml, the print queue's claim and result,
their printers' reports, and a keypad read by its PC's agent."""

from __future__ import annotations

import shutil

import pytest

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
