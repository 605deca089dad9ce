"""Resident ID numbers (居民身份证号码), for the per-person ticket limit. The number itself is
never stored: only a keyed hash, which lets the hall count one person's tickets and nothing else."""

from __future__ import annotations

import hashlib
import hmac

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def normalise_id_number(text: str) -> str:
    """The 18-character number in upper case; ValueError says what is wrong with it."""
    number = text.strip().upper()
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValueError("a resident ID number has 17 digits and a final digit or X")
    total = sum(int(digit) * weight for digit, weight in zip(number[:17], _WEIGHTS, strict=True))
    if _CHECK[total % 11] != number[17]:
        raise ValueError("the check digit does not match: please check the number")
    return number


def holder_digest(secret: str, id_number: str) -> str:
    """HMAC-SHA256 of the normalised number, keyed with the server's secret (the salt)."""
    return hmac.new(secret.encode(), normalise_id_number(id_number).encode(), hashlib.sha256).hexdigest()
