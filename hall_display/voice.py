"""The hall board's voice on the server: the clips it plays (the hall's own recordings before
the built default set) and voice_setup(), what the board's announcer.js starts from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import abort, send_file, url_for

from hallq.state import state

from . import bp
from .voice_clips import AUDIO_TYPES, CATALOGUE, DEFAULT_DIR

_NAMES = {lang: {clip.name for clip in clips} for lang, clips in CATALOGUE.items()}


def clip_file(lang: str, name: str) -> Path | None:
    """The file that says this clip: the hall's <clips>/<lang>/<name>.<any audio type>, else the
    default <lang>/<name>.wav; None when neither exists or the name is not in the catalogue
    (only catalogue names reach the file system, so no path can leave the two folders)."""
    if name not in _NAMES.get(lang, ()):
        return None
    app_state = state()
    if app_state.spec.voice.clips:
        own = Path(app_state.settings.HALLQ_CONFIG) / app_state.spec.voice.clips / lang
        for suffix in AUDIO_TYPES:
            if (own / (name + suffix)).is_file():
                return own / (name + suffix)
    default = DEFAULT_DIR / lang / f"{name}.wav"
    return default if default.is_file() else None


@bp.get("/voice/<lang>/<name>")
def clip(lang: str, name: str) -> Any:
    path = clip_file(lang, name)
    if path is None:
        why = (
            "neither the hall's clips folder nor the default set (hallq voice build) has it"
            if name in _NAMES.get(lang, ())
            else "the voice has no clip of that name"
        )
        abort(404, description=f"no voice clip {lang}/{name}: {why}")
    return send_file(path, mimetype=AUDIO_TYPES[path.suffix])


def voice_setup() -> dict[str, Any]:
    """The hall's voice settings, the URL of every clip that exists (per language) and what
    every clip says (a browser voice says the texts)."""
    voice = state().spec.voice
    return {
        "repeat": voice.repeat,
        "english": voice.english,
        "browser_voice": voice.browser_voice,
        "clips": {
            lang: {
                clip.name: url_for("hall_display.clip", lang=lang, name=clip.name)
                for clip in clips
                if clip_file(lang, clip.name)
            }
            for lang, clips in CATALOGUE.items()
        },
        "texts": {lang: {clip.name: clip.text for clip in clips} for lang, clips in CATALOGUE.items()},
    }


@bp.app_context_processor
def _voice_setup_global() -> dict[str, Any]:
    return {"voice_setup": voice_setup}
