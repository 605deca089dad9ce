"""The audit trail (电子监察) through /api/v1: its entries, newest first, for those who oversee
the hall. Reading only: the trail is appended by the server as people and devices act."""

from __future__ import annotations

from queue_core.models import OVERSIGHT

from ..present.audit import AuditEntryOut, entry_out, find_entries
from ..state import current_hall, state
from . import bp, doc
from .schemas import AuditQuery


@doc.operation(
    bp,
    "/audit",
    "GET",
    summary="The audit trail's entries, newest first, with who, from where, what and the hash chain",
    tag="audit",
    roles=OVERSIGHT,
    query=AuditQuery,
    responses={200: ("The entries", AuditEntryOut), 422: ("A bad date or limit", None)},
)
def audit_entries(query: AuditQuery) -> list[AuditEntryOut]:
    with state().db.read() as uow:
        hall = current_hall(uow)
        found = find_entries(
            uow,
            hall,
            first=query.from_,
            last=query.to,
            actor=query.actor,
            action=query.action,
            limit=query.limit,
        )
        return [entry_out(entry) for entry in found]
