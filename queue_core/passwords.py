"""What a staff password must be (等保 2.0 level 3, identity authentication: passwords of some
length and complexity, changed when someone else chose them). One rule, used wherever a
password is set: the API and the manager pages through it, the change-own-password page and
`hallq user add`.

The rule, in the usual reading of 等保: at least 8 characters, from at least three of the four
classes (lower case, upper case, digits, symbols), not containing the username, and not one of
the passwords every guessing list starts with."""

from __future__ import annotations

from enum import StrEnum

from .errors import Invalid

MIN_LENGTH = 8
MIN_CLASSES = 3
MAX_LENGTH = 200  # a passphrase fits; a megabyte of "password" is not hashed

# The first lines of every guessing list, as written (compared without case). Most fail the
# class rule already; these are the ones that pass it and are still guessed first, and the
# Chinese favourites.
COMMON = frozenset(
    word.lower()
    for word in (
        "P@ssw0rd", "P@ssword1", "P@ssw0rd1", "Passw0rd", "Passw0rd!", "Password1", "Password1!",
        "Password123", "Password@123", "Admin123", "Admin@123", "Admin123!", "Abc@1234", "Abcd1234",
        "Abc12345", "Abc123456", "Aa123456", "Aa123456!", "Aa12345678", "Qq123456", "Qwer1234",
        "Qwerty123", "Qwerty1!", "1qaz@WSX", "1qaz!QAZ", "1QAZ2wsx", "Zxcv1234", "Asdf1234",
        "Welcome1", "Welcome@1", "Woaini1314", "Woaini520", "Iloveyou1", "Test@123", "Root@123",
        "Huawei@123", "Changeme1", "Hallq@123", "Hallq-demo1", "12345678", "123456789", "1234567890",
        "11111111", "88888888", "66666666", "00000000", "password", "qwertyuiop", "a1234567",
    )
)  # fmt: skip


class Weakness(StrEnum):
    """One thing a password lacks; the screens say each in the reader's language."""

    TOO_SHORT = "too_short"  # fewer than MIN_LENGTH characters
    FEW_CLASSES = "few_classes"  # fewer than MIN_CLASSES of lower, upper, digit, symbol
    HAS_USERNAME = "has_username"
    COMMON = "common"


class WeakPassword(Invalid):
    """Refused: the password breaks the rule (HTTP 422); `weaknesses` names each part."""

    code = "weak_password"


def weaknesses(password: str, username: str) -> list[Weakness]:
    """What the password lacks, in the rule's order (empty: it will do)."""
    found = []
    if len(password) < MIN_LENGTH:
        found.append(Weakness.TOO_SHORT)
    if classes(password) < MIN_CLASSES:
        found.append(Weakness.FEW_CLASSES)
    if _has_username(password.lower(), username.lower()):
        found.append(Weakness.HAS_USERNAME)
    if password.lower() in COMMON:
        found.append(Weakness.COMMON)
    return found


def _has_username(password: str, username: str) -> bool:
    """A name of 4 letters or more inside the password gives it away; a shorter one ("li",
    "wu") is inside too many words to refuse them all, and counts only as the whole password."""
    return bool(username) and (password == username or (len(username) >= 4 and username in password))


def classes(password: str) -> int:
    """How many of the four classes the password draws from (a Chinese character or any other
    letter that is neither upper nor lower case counts as a symbol: it is as hard to guess)."""
    return sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not (c.islower() or c.isupper() or c.isdigit()) for c in password),
        )
    )


DESCRIBED = {
    Weakness.TOO_SHORT: f"at least {MIN_LENGTH} characters",
    Weakness.FEW_CLASSES: f"characters of at least {MIN_CLASSES} kinds: lower case, upper case, digits, symbols",
    Weakness.HAS_USERNAME: "not containing the username",
    Weakness.COMMON: "not a commonly used password",
}


def require_strong(password: str, username: str) -> None:
    """Raises WeakPassword, naming every part missing, unless the password will do."""
    found = weaknesses(password, username)
    if found:
        raise WeakPassword(
            "the password is too weak: it needs " + "; ".join(DESCRIBED[w] for w in found),
            weaknesses=[w.value for w in found],
        )
