"""A citizen's personal data (PIPL): what the hall holds about them, found by their ID number,
shown to them (export) or anonymised at their request (erasure).

The hall's managers (and admins) handle these requests, as they answer for the hall's data: a
clerk or guide serves the next citizen and has no business looking people up, and the
supervisor (电子监察) changes nothing and oversees the hall's work, not persons. The ID number
travels in the body, never in the address (addresses reach the logs); the server hashes it with
the tickets' keyed hash and forgets it. Both are audited: the entry names the rows shown or
anonymised, never the number nor what the rows held."""

from __future__ import annotations

from queue_core import audit
from queue_core.models import MANAGERS

from .. import personal_data
from ..present.personal_data import ErasedOut, PersonalDataOut
from ..state import state
from . import bp, doc
from .schemas import PersonalDataRequest

RESPONSES_422 = ("Not a valid resident ID number", None)


def _caller() -> audit.Actor:
    actor = audit.current_actor()
    assert actor is not None  # every POST acts as its caller (hallq.acting)
    return actor


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
    app_state = state()
    return personal_data.export(
        app_state.db, app_state.hall_code, app_state.settings.secret_key(), body.id_number, _caller()
    )


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
    app_state = state()
    return personal_data.erase(
        app_state.db, app_state.hall_code, app_state.settings.secret_key(), body.id_number, _caller()
    )
