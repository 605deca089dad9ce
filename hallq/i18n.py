"""The languages Hallq speaks, and the texts that pages' scripts show, kept in the Babel
catalogue like every other UI text."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import force_locale, gettext

LOCALES = ("zh_CN", "en")


def _n(message: str) -> str:
    """Marks a message for extraction (pybabel -k _n); `translated` translates it."""
    return message


def translated(messages: Mapping[str, str], locale: str) -> dict[str, str]:
    """The messages in one locale, by the same keys."""
    with force_locale(locale):
        return {key: gettext(message) for key, message in messages.items()}
