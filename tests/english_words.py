"""Finds English on a screen meant to be Chinese: a sentence of Latin-letter words, or any
Latin word that is not a code identifier, a ticket or window number, a unit, or one of the
few names a Chinese screen writes in Latin letters. Used by the crawler
(tests/live/test_chinese_screens.py) and shown to work by tests/test_english_words.py."""

from __future__ import annotations

import re

# What a Chinese screen may write in Latin letters: names (the product, the toggle that offers
# English), abbreviations Chinese uses as they are, units, and the search hint's pinyin examples.
ALLOWED = frozenset(
    {
        "hallq",
        "openapi",  # the front page's link for integrators names the standard
        "english",  # the language toggle names the other language in that language
        "qr",
        "id",
        "pin",
        "app",
        "wifi",
        "led",
        "km",
        "min",
        "mm",
        "cm",
        "kg",
        "hydj",  # 如 hydj（婚姻登记）: pinyin initials, as a citizen types them
    }
)
# A token of letters, digits and the joiners identifiers use. One with a digit (A012, GA001,
# K1, 8:30), a path or an address (/t/…, 127.0.0.1) is an identifier, not a word.
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_'’./:@#-]*")
_WORD = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")
# Between the words of one English sentence: spaces and Western punctuation, nothing Chinese.
_JOINER = re.compile(r"[\s,.;:!?()\"'’“”-]*")
SENTENCE_WORDS = 3


def english_in(text: str, identifiers: frozenset[str] = frozenset()) -> list[str]:
    """The English a Chinese screen's text holds: each sentence of SENTENCE_WORDS or more Latin
    words in a row, and each other Latin word outside ALLOWED and these identifiers (the
    names of fields an error names, for example). Single letters are keys, queue codes and
    the X of an ID number."""
    found: list[str] = []
    run: list[str] = []
    end = 0

    def close_run() -> None:
        if len(run) >= SENTENCE_WORDS:
            found.append(" ".join(run))
        else:
            found.extend(word for word in run if _foreign(word, identifiers))
        run.clear()

    for match in _TOKEN.finditer(text):
        token = match.group().rstrip(".:'’-")
        word = _WORD.fullmatch(token)
        if run and not _JOINER.fullmatch(text[end : match.start()]):
            close_run()
        if word is None or len(token) == 1:  # an identifier, a number or a key breaks a sentence
            close_run()
        else:
            run.append(token)
        end = match.end()
    close_run()
    return found


def _foreign(word: str, identifiers: frozenset[str]) -> bool:
    return word.lower() not in ALLOWED and word not in identifiers
