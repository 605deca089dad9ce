"""The languages Hallq speaks, and the texts that pages' scripts show, kept in the Babel
catalogue like every other UI text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import overload

from flask_babel import force_locale, get_translations, gettext

LOCALES = ("zh_CN", "en")


def _n(message: str) -> str:
    """Marks a message for extraction (pybabel -k _n); `translated` translates it."""
    return message


class Plural(tuple[str, str]):
    """A message whose form depends on its count %(n)s: "%(n)d service", "%(n)d services"."""


def _np(singular: str, plural: str) -> Plural:
    """Marks a plural message for extraction (pybabel -k _np:1,2); `translated` translates it."""
    return Plural((singular, plural))


@overload
def translated(messages: Mapping[str, str], locale: str) -> dict[str, str]: ...
@overload
def translated(messages: Mapping[str, str | Plural], locale: str) -> dict[str, str | dict[str, str]]: ...
def translated(
    messages: Mapping[str, str | Plural], locale: str
) -> dict[str, str] | dict[str, str | dict[str, str]]:
    """The messages in one locale, by the same keys. A plural message becomes its forms by the
    CLDR category a script's Intl.PluralRules names ({"one": ..., "other": ...}): Chinese has
    one form, English two."""
    with force_locale(locale):
        translations = get_translations()
        return {
            key: {"one": translations.ungettext(*message, 1), "other": translations.ungettext(*message, 2)}
            if isinstance(message, Plural)
            else gettext(message)
            for key, message in messages.items()
        }
