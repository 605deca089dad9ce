"""The kiosk's voice guidance (语音引导, `voice_guidance = true` in a kiosk's [[kiosks]] entry):
what kiosk-voice.js starts from, and the phrase clips it plays between the hall board's clips.

A phrase is a whole text the kiosk says: a screen's title, an item's, department's or window's
name, a fixed part of a sentence. The catalogue changes while the hall is open, so phrases are
spoken on demand by espeak-ng like the board's default clips (hall_display.voice_clips) and kept
on disk in the instance folder; only a text a kiosk can show is spoken, so the cache stays the
size of the catalogue. Numbers and ticket numbers are said with the board's own clips."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import abort, request, send_file, url_for
from sqlalchemy import select

from hall_display.voice_clips import AUDIO_TYPES, VoiceBuildError, phrase_clip
from hallq.i18n import LOCALES, _n, translated
from hallq.state import current_hall, state
from queue_core.models import Department, ServiceItem, Window
from queue_core.spec import TOPIC_NAMES_EN, TOPICS

from . import bp
from .strings import STRINGS

# The sentences only the voice says. A placeholder splits a sentence into the phrases around it,
# and the voice puts the number (or the window names) between them.
VOICE_STRINGS = {
    "home": _n("Please choose the service you need, or search for it"),
    "number": _n("Your number is %(number)s"),
    "ahead": _n("%(n)s people ahead of you"),
    "windows": _n("Please wait to be called to %(windows)s"),
    # The kiosk's switch for the citizen in front of it: the label says what a tap does.
    "mute": _n("Voice off"),
    "unmute": _n("Voice on"),
}
PLACEHOLDER = re.compile(r"%\(\w+\)s")
PHRASE_LIMIT = 200  # characters: the longest name the catalogue holds


def voice_guidance_setup() -> dict[str, Any]:
    """What kiosk-voice.js needs besides the board's clips: the phrase clips' address and the
    voice's sentences in both languages."""
    return {
        "phrase": url_for("kiosk.voice_phrase"),
        "strings": {"zh": translated(VOICE_STRINGS, "zh_CN"), "en": translated(VOICE_STRINGS, "en")},
    }


def speakable_phrases() -> set[str]:
    """Every text a kiosk may ask to hear: its own texts and the voice's phrases in both
    languages, the hall's name and the names of its departments, life events, active items and
    windows, as they are now."""
    phrases = set(TOPICS) | set(TOPIC_NAMES_EN.values())
    for locale in LOCALES:
        for text in translated(STRINGS, locale).values():  # a plural text is its forms
            phrases.update(text.values() if isinstance(text, dict) else (text,))
        for sentence in translated(VOICE_STRINGS, locale).values():
            phrases.update(part.strip() for part in PLACEHOLDER.split(sentence))
    with state().db.read() as uow:
        hall = current_hall(uow)
        phrases.add(hall.name)
        session = uow.session
        for table in (Department, Window):  # in English mode their English names are said
            for name, name_en in session.execute(
                select(table.name, table.name_en).where(table.hall_id == hall.id)
            ):
                phrases.update((name, name_en or ""))
        for name, name_en in session.execute(
            select(ServiceItem.name, ServiceItem.name_en).where(
                ServiceItem.hall_id == hall.id, ServiceItem.active
            )
        ):
            phrases.update((name, name_en or ""))
    phrases.discard("")
    return phrases


@bp.get("/kiosk/voice/phrase")
def voice_phrase() -> Any:
    """?text=婚姻登记: the phrase said by espeak-ng, as a WAV (built on the first request)."""
    text = request.args.get("text", "").strip()
    if not text or len(text) > PHRASE_LIMIT or text not in speakable_phrases():
        abort(404, description="no kiosk shows this text, so the voice does not say it")
    try:
        path = phrase_clip(text, Path(state().settings.HALLQ_INSTANCE) / "voice-phrases")
    except VoiceBuildError as exc:
        abort(503, description=str(exc))
    return send_file(path, mimetype=AUDIO_TYPES[".wav"], max_age=3600)
