"""Where this deployment keeps the audit trail's signing key and its anchors file
(HALLQ_AUDIT_KEY_FILE, HALLQ_AUDIT_ANCHORS; by default the instance folder), for the server's
sweeper, the commands and the audit page."""

from __future__ import annotations

from queue_core import Database
from queue_core.audit_anchors import Anchor, Anchoring, ensure_key, newest

from .settings import Settings


def audit_anchoring(settings: Settings, db: Database, hall_code: str) -> Anchoring:
    """The hall's checkpoint writer; the key is made first where there is none yet."""
    return Anchoring(db, hall_code, ensure_key(settings.audit_key_file()), settings.audit_anchors_file())


def newest_anchor(settings: Settings, hall_code: str) -> Anchor | None:
    """The hall's newest checkpoint in its anchors file, its signature checked."""
    return newest(settings.audit_anchors_file(), ensure_key(settings.audit_key_file()), hall_code)
