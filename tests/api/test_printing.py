"""Printing through the API: a kiosk's ticket and notice reach its printer (the demo's
dummy printers keep the bytes), the answer says whether the job was queued, the ticket
reports the print result, and /printers shows each printer's state."""

from __future__ import annotations

import time

import pytest

from printer_driver import PrinterStatus
from printer_driver.transports import DummyTransport
from tests.printer.escpos_decode import decode


def printer(app, name: str = "K1"):
    printing = app.extensions["hallq"].printing
    return next(p for p in printing.printers.values() if p.name == name)


def set_status(app, name: str, status: PrinterStatus) -> None:
    device = printer(app, name)
    device.transport.simulated_status = status
    device.check()


def print_result(api, ticket_id: int) -> dict:
    for _ in range(100):
        job = api.get(f"/tickets/{ticket_id}").get_json()["print"]
        if job["status"] not in ("queued", "claimed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"ticket {ticket_id} still queued for printing: {job}")


def paper(app, name: str = "K1") -> str:
    """What came out of the printer, as the paper shows it."""
    decoded = decode(bytes(printer(app, name).transport.output))
    return "\n".join(line.text for line in decoded.lines) + "\n" + "\n".join(decoded.qr_codes)


def test_a_kiosk_ticket_is_queued_then_printed_on_its_own_printer(api, app):
    item = api.get("/items?q=结婚登记").get_json()[0]
    answer = api.post("/tickets", "device:K2", {"item_id": item["id"]}).get_json()
    assert (
        answer["print"]["queued"] is True and answer["print"]["status"] == "claimed"
    )  # the server drives K2 itself
    job = print_result(api, answer["id"])
    assert job["status"] == "printed" and job["printer"] == "K2" and job["error"] is None
    printed = paper(app, "K2").replace("\n", "")  # long lines are wrapped on the paper
    assert "C001" in printed and "结婚登记" in printed and "青山县政务服务中心" in printed
    assert f"http://localhost/t/{answer['key']}" in printed  # the QR opens the phone page
    assert printer(app, "K1").transport.output == b""


def test_a_ticket_not_from_a_kiosk_is_not_printed(api):
    answer = api.post("/tickets", "guide", {"queue": "A"}).get_json()
    assert answer["print"] is None
    assert api.get(f"/tickets/{answer['id']}").get_json()["print"] is None


def test_with_its_printer_out_of_paper_the_kiosk_hears_at_once_and_the_ticket_stands(api, app):
    set_status(app, "K1", PrinterStatus.PAPER_OUT)
    answer = api.post("/tickets", "device:K1", {"queue": "A"}).get_json()
    assert answer["number"] == "A001" and answer["status"] == "waiting"
    assert answer["print"]["queued"] is False and answer["print"]["status"] == "failed"
    assert answer["print"]["error"] == "K1: paper_out"
    followed = api.get(f"/tickets/{answer['id']}").get_json()["print"]
    assert followed["status"] == "failed"


def test_printers_list_their_state_and_last_job(api, app):
    printers = {p["name"]: p["status"] for p in api.get("/printers", "manager").get_json()}
    assert printers == {"K1": "unknown", "K2": "unknown"}  # nobody has asked them yet
    app.extensions["hallq"].printing.start()  # as the server does: the stations ask at once
    for _ in range(100):
        if printer(app, "K1").status is not PrinterStatus.UNKNOWN:
            break
        time.sleep(0.02)
    set_status(app, "K2", PrinterStatus.PAPER_LOW)
    answer = api.post("/tickets", "device:K2", {"queue": "B"}).get_json()
    print_result(api, answer["id"])
    printers = {p["name"]: p for p in api.get("/printers", "manager").get_json()}
    assert set(printers) == {"K1", "K2"}
    assert printers["K2"]["status"] == "paper_low" and printers["K2"]["alarm"] is True
    assert printers["K2"]["last_job"]["status"] == "printed"
    assert printers["K1"]["status"] == "online" and printers["K1"]["alarm"] is False
    assert (
        printers["K1"]["url"] == "dummy:"
        and printers["K1"]["mode"] == "text"
        and printers["K1"]["paper"] == 58
    )


def test_a_kiosk_sees_only_its_own_printers_and_others_none(api):
    assert [p["name"] for p in api.get("/printers", "device:K1").get_json()] == ["K1"]
    assert api.get("/printers").status_code == 401
    assert api.get("/printers", "clerk1").status_code == 403


def test_a_kiosk_prints_an_items_one_time_notice(api, app):
    item = api.get("/items?q=结婚登记").get_json()[0]
    detail = api.get(f"/items/{item['id']}").get_json()
    response = api.post(f"/items/{item['id']}/notice", "device:K1", {})
    assert response.status_code == 202 and response.get_json()["queued"] is True
    for _ in range(100):  # until the kiosk's printer reports the job done
        if api.get("/printers", "device:K1").get_json()[0]["last_job"]["status"] not in ("queued", "claimed"):
            break
        time.sleep(0.05)
    printed = paper(app).replace("\n", "")
    assert "一次性告知单" in printed and detail["name"] in printed
    assert detail["materials"][0] in printed.replace(" ", "")


@pytest.mark.parametrize(
    ("who", "body", "status", "field_or_message"),
    [
        ("guide", {}, 422, "kiosk"),
        ("guide", {"kiosk": "K9"}, 422, "kiosk"),
        ("device:K1", {"kiosk": "K2"}, 403, 'kiosk K1 cannot print on kiosk "K2"'),
    ],
)
def test_notice_requests_name_what_is_wrong(api, who, body, status, field_or_message):
    item = api.get("/items?q=结婚登记").get_json()[0]
    response = api.post(f"/items/{item['id']}/notice", who, body)
    assert response.status_code == status
    answer = response.get_json()
    if status == 422:
        assert answer["fields"][0]["field"] == field_or_message
    else:
        assert answer["message"] == field_or_message


def test_a_ticket_a_guide_takes_for_a_kiosk_prints_there(api):
    answer = api.post("/tickets", "guide", {"queue": "A", "kiosk": "K2"}).get_json()
    assert answer["print"]["queued"] is True
    assert print_result(api, answer["id"])["printer"] == "K2"


def test_a_restarted_server_prints_what_it_left_marked_and_abandons_tickets_too_late(app, api, clock):
    """A kill -9 between the commit and the printer: the jobs are rows, claimed by the server;
    the next start prints the fresh one again, marked 重打, and abandons the one too old."""
    from datetime import timedelta
    from pathlib import Path

    from hallq.printing import PrintService
    from queue_core import printing as queue
    from queue_core.halls import hall_by_code
    from queue_core.models import PrintRecord

    state = app.extensions["hallq"]
    db = state.db
    db.after_commit.clear()  # this process "dies" after the commits: nothing is handed on
    old = api.post("/tickets", "device:K1", {"queue": "A"}).get_json()
    clock.set(clock.now() + timedelta(minutes=3))
    fresh = api.post("/tickets", "device:K1", {"queue": "A"}).get_json()
    with db.read() as uow:
        hall = hall_by_code(uow, state.spec.hall.code)
        assert queue.pending(uow, hall, queue.SERVER, queue.SERVER_CLAIMER) == [
            old["print"]["job_id"],
            fresh["print"]["job_id"],
        ]

    restarted = PrintService(state.spec, Path(state.settings.HALLQ_CONFIG), db)
    try:
        restarted.start()
        with db.read() as uow:
            assert uow.session.get(PrintRecord, old["print"]["job_id"]).status == "abandoned"
        for _ in range(100):
            job = api.get(f"/tickets/{fresh['id']}").get_json()["print"]
            if job["status"] == "printed":
                break
            time.sleep(0.05)
        assert (job["status"], job["reprinted"]) == ("printed", True)
        transport = next(p for p in restarted.printers.values() if p.name == "K1").transport
        assert isinstance(transport, DummyTransport)
        out = transport.output
        text = "\n".join(line.text for line in decode(bytes(out)).lines)
        assert fresh["number"] in text and "重打" in text and old["number"] not in text
    finally:
        restarted.close()
