"""A citizen's export and erasure (PIPL), as the API and the `hallq personal-data` command
both do them: the ID number is hashed with the tickets' keyed hash and forgotten, and the
audit entry names the rows shown or anonymised, never the number nor what the rows held."""

from __future__ import annotations

from queue_core import Database, audit, retention
from queue_core.halls import hall_by_code
from queue_core.identity import holder_digest

from .present.personal_data import ErasedOut, PersonalDataOut, erased_out, personal_data_out


def export(db: Database, hall_code: str, secret: str, id_number: str, actor: audit.Actor) -> PersonalDataOut:
    """What the hall holds about the person; audited before it is shown."""
    holder = holder_digest(secret, id_number)
    with db.read() as uow:
        held = retention.held_by(uow, hall_by_code(uow, hall_code), holder)
        answer = personal_data_out(uow, held)
        shown = held.reference()
    audit.write_entry(db, actor, {"exported": shown})
    return answer


def erase(db: Database, hall_code: str, secret: str, id_number: str, actor: audit.Actor) -> ErasedOut:
    """Anonymise what the export shows (the rows stay, for the statistics)."""
    holder = holder_digest(secret, id_number)
    with audit.acting_as(actor), db.write() as uow:
        held = retention.held_by(uow, hall_by_code(uow, hall_code), holder)
        return erased_out(retention.erase(uow, held))
