"""Hall PCs' agents (`hallq agent`): their part of the configuration, and the print queue's
side that they use. An agent acts with its own device token (`hallq token issue --device
<agent id>`), only on the jobs of the printers hall.toml places on it."""

from __future__ import annotations

from flask import Response
from flask_login import current_user

from queue_core import printing as queue
from queue_core.errors import NotFound, NotPermitted
from queue_core.models import PrintRecord, PrintStatus

from ..present.agents import AgentConfigOut, AgentKioskOut, AgentPrinterOut, ClaimOut, claim_out
from ..present.tickets import PrintOut, print_out
from ..printing import PrintService
from ..state import current_hall, state
from . import bp, doc
from .schemas import AgentReport, DocumentQuery, PrintResult

AGENT = ("device:agent",)


def _agent() -> str:
    return current_user.device_id


@doc.operation(
    bp,
    "/agents/me",
    "GET",
    summary="An agent's configuration",
    tag="agents",
    roles=AGENT,
    responses={200: ("The printers, keypads and LED line hall.toml places on this agent", AgentConfigOut)},
)
def agent_config() -> AgentConfigOut:
    """Read at start and again every 30 s: a change to hall.toml reaches the agent without a
    restart of it."""
    spec, agent = state().spec, _agent()
    declared = next(a for a in spec.agents if a.id == agent)
    kiosks = [
        AgentKioskOut(
            kiosk=kiosk,
            printers=[
                AgentPrinterOut(name=p.name, settings=p.settings.model_dump(exclude={"agent"}))
                for p in printers
            ],
        )
        for kiosk, printers in state().printing.printers_of(agent).items()
    ]
    return AgentConfigOut(
        id=agent,
        name=declared.name,
        kiosks=kiosks,
        keypads=[k.model_dump() for k in spec.keypads if k.agent == agent and k.device],
        led=spec.led.model_dump() if spec.led and spec.led.agent == agent else None,
    )


@doc.operation(
    bp,
    "/agents/me/state",
    "POST",
    summary="Report an agent's printers",
    tag="agents",
    roles=AGENT,
    body=AgentReport,
    responses={204: ("Recorded; each printer's change is announced and raises or clears its alarm", None)},
)
def agent_report(body: AgentReport) -> tuple[None, int]:
    printing = state().printing
    with state().db.write() as uow:
        queue.printers_reported(
            uow,
            current_hall(uow),
            _agent(),
            version=body.version,
            reported={name: p.model_dump() for name, p in body.printers.items()},
            printers=printing.described(_agent()),
        )
    return None, 204


@doc.operation(
    bp,
    "/print-jobs/<int:job_id>/claim",
    "POST",
    summary="Claim a print job",
    tag="agents",
    roles=AGENT,
    responses={
        200: ("The job is this agent's to print (or, abandoned, to leave)", ClaimOut),
        403: ("The job is for another agent's printer", None),
        409: ("Another holds it, or it has ended", None),
    },
)
def claim_job(job_id: int) -> ClaimOut:
    abandon_after = state().spec.printing.abandon_after
    with state().db.write() as uow:
        hall = current_hall(uow)
        claimed = queue.claim(
            uow, hall, job_id, agent=_agent(), claimer=_agent(), abandon_after=abandon_after
        )
        return claim_out(claimed.record, reprint=claimed.reprint, abandoned=claimed.abandoned)


@doc.operation(
    bp,
    "/print-jobs/<int:job_id>/document",
    "GET",
    summary="A claimed job's bytes",
    tag="agents",
    roles=AGENT,
    query=DocumentQuery,
    responses={200: ("The ESC/POS bytes for that printer (application/octet-stream)", None)},
)
def job_document(job_id: int, query: DocumentQuery) -> Response:
    """Drawn by the server, which holds the layout, the logo and the fonts, for the printer's
    mode and paper: the agent sends the bytes as they are."""
    printing: PrintService = state().printing
    with state().db.read() as uow:
        record = _claimed_here(uow.session.get(PrintRecord, job_id), job_id, current_hall(uow).id)
    printer = printing.agent_printer(_agent(), query.printer)
    if printer is None:
        raise NotPermitted(f'printer "{query.printer}" is not on agent {_agent()}')
    rendered = printing.render(record, printer.settings, query.reprint)
    response = Response(rendered.data, mimetype="application/octet-stream")
    response.headers["X-Hallq-Problems"] = str(len(rendered.problems))
    return response


@doc.operation(
    bp,
    "/print-jobs/<int:job_id>/result",
    "POST",
    summary="Report how a print job ended",
    tag="agents",
    roles=AGENT,
    body=PrintResult,
    responses={
        200: ("Recorded; a failed job may go on to the kiosk's backup on another agent", PrintOut),
        409: ("The job is not being printed by this agent", None),
    },
)
def job_result(job_id: int, body: PrintResult) -> PrintOut:
    with state().db.write() as uow:
        record = queue.finish(
            uow,
            current_hall(uow),
            job_id,
            claimer=_agent(),
            status=PrintStatus(body.status),
            printer=body.printer,
            url=body.url,
            size=body.bytes,
            reprinted=body.reprinted,
            error=body.error,
            problems=body.problems,
            backups=state().printing.backups(),
        )
        return print_out(record)


def _claimed_here(record: PrintRecord | None, job_id: int, hall_id: int) -> PrintRecord:
    if record is None or record.hall_id != hall_id:
        raise NotFound(f"no print job {job_id}")
    if record.status != PrintStatus.CLAIMED or record.claimed_by != _agent():
        raise NotPermitted(f"print job {job_id} is not claimed by agent {_agent()}")
    return record
