"""A citizen's resident ID number, given for a per-person limit, never reaches the database
file: neither in the ticket, nor in the audit trail, nor as a plain (unkeyed) hash."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from tests.live.test_kiosk import hall_changed

ID_NUMBER = "11010519491231002X"


def database_bytes(live) -> bytes:
    """The SQLite file and its write-ahead log, as a thief who copied them would read them."""
    path = Path(live.env["DATABASE_URL"].removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def test_an_id_number_is_kept_only_as_a_keyed_hash(live):
    limited = "UPDATE queue SET id_limit = 1 WHERE code = 'E'"
    with hall_changed(live, [limited], ["UPDATE queue SET id_limit = NULL WHERE code = 'E'"]):
        issued = live.api("POST", "/tickets", "K1", json={"queue": "E", "id_number": ID_NUMBER.lower()})
        assert issued.status_code == 201, issued.text
        again = live.api("POST", "/tickets", "K1", json={"queue": "E", "id_number": ID_NUMBER})
        assert again.status_code == 409 and again.json()["error"] == "limit_reached"

    stored = database_bytes(live)
    assert issued.json()["key"].encode() in stored  # the files read are those the ticket went to
    keyed = hmac.new(live.env["SECRET_KEY"].encode(), ID_NUMBER.encode(), hashlib.sha256).hexdigest()
    assert keyed.encode() in stored
    for clear in (ID_NUMBER, ID_NUMBER.lower(), ID_NUMBER[:17], ID_NUMBER[6:14]):
        assert clear.encode() not in stored, clear
    assert hashlib.sha256(ID_NUMBER.encode()).hexdigest().encode() not in stored
