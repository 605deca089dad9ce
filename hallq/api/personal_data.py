"""A citizen's personal data (PIPL): what the hall holds about them, found by their ID number,
shown to them (export) or anonymised at their request (erasure).

The hall's managers (and admins) handle these requests, as they answer for the hall's data: a
clerk or guide serves the next citizen and has no business looking people up, and the
supervisor (电子监察) changes nothing and oversees the hall's work, not persons. The ID number
travels in the body, never in the address (addresses reach the logs); the server hashes it with
the tickets' keyed hash and forgets it. Both are audited: the entry names the rows shown or
anonymised, never the number nor what the rows held."""

from __future__ import annotations

from queue_core import audit, retention
from queue_core.identity import holder_digest
from queue_core.models import MANAGERS

from ..present.personal_data import ErasedOut, PersonalDataOut, erased_out, personal_data_out
from ..state import current_hall, state
from . import bp, doc
from .schemas import PersonalDataRequest

RESPONSES_422 = ("Not a valid resident ID number", None)


@doc.operation(
    bp,
    "/personal-data/export",
    "POST",
    summary="Export one citizen's personal data",
    tag="personal-data",
    body=PersonalDataRequest,
    roles=MANAGERS,
    responses={200: ("What the hall holds about the person", PersonalDataOut), 422: RESPONSES_422},
)
def export_personal_data(body: PersonalDataRequest) -> PersonalDataOut:
    """Their tickets (taken with the ID number or for their appointments), their appointments
    (booked with it) and the ratings of those tickets, as they are now."""
    holder = holder_digest(state().settings.secret_key(), body.id_number)
    with state().db.read() as uow:
        held = retention.held_by(uow, current_hall(uow), holder)
        answer = personal_data_out(uow, held)
        shown = held.reference()
    actor = audit.current_actor()
    assert actor is not None  # every write method's request acts as its caller (hallq.acting)
    audit.write_entry(state().db, actor, {"exported": shown})  # before the answer leaves
    return answer


@doc.operation(
    bp,
    "/personal-data/erase",
    "POST",
    summary="Erase one citizen's personal data",
    tag="personal-data",
    body=PersonalDataRequest,
    roles=MANAGERS,
    responses={200: ("How many rows gave up personal data", ErasedOut), 422: RESPONSES_422},
)
def erase_personal_data(body: PersonalDataRequest) -> ErasedOut:
    """Anonymises what the export shows: names, ID hashes, comments and follow-up notes are
    blanked; the rows stay (times, queues, scores, reasons), so the statistics do not change.
    Afterwards nothing is found by the number any more."""
    holder = holder_digest(state().settings.secret_key(), body.id_number)
    with state().db.write() as uow:
        held = retention.held_by(uow, current_hall(uow), holder)
        return erased_out(retention.erase(uow, held))
