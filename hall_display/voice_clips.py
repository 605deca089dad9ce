"""The hall board's voice clips: what each clip says, per language, and the default set built
with espeak-ng; and the kiosks' phrase clips (item names, screen titles), spoken the same way
on demand and kept on disk. No Flask.

The board's announcer.js says a call by playing clips back to back:

    zh: chime 请 A 零 一 二 号 到 十 二 号窗口办理      (ticket digit by digit, window as a number)
    en: Number A zero one two please go to window twelve

A hall may replace any clip with its own recording (see docs/voice.md); this module builds the
default set: Mandarin with espeak-ng's `cmn-latn-pinyin` voice fed pinyin with tone numbers
(the plain `cmn` voice reads the tone digits in English), letters as Chinese halls say them
(the Mandarin voice's letter names), English with `-v en`, and the chime synthesised here.
"""

from __future__ import annotations

import array
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import wave
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from string import ascii_uppercase
from typing import Any

DEFAULT_DIR = Path(__file__).resolve().parent / "static" / "voice" / "default"
# What a hall's recordings may be, in the order they are looked for.
AUDIO_TYPES = {
    ".wav": "audio/wav",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",
    ".m4a": "audio/mp4",
    ".flac": "audio/flac",
    ".webm": "audio/webm",
}
ESPEAK_VOICES = {"zh": "cmn-latn-pinyin", "en": "en"}
# Syllables per minute, about 4 a second as an announcer speaks Mandarin: an announcement
# (chime and sentence) stays within 4 s, so that calls do not queue up behind the voice in a
# busy hall (at 150 one took 6.7 s, and a burst of four calls was still being said 21 s on).
SPEED = 240
RATE = 22050  # espeak-ng's own sample rate; the chime uses it too
CHIME = "chime"


@dataclass(frozen=True)
class Clip:
    name: str  # the file's name without its extension, in the language's folder
    text: str  # what it says (a browser voice says this text instead)
    say: str | None  # what espeak-ng is given; None: the synthesised chime


_ZH_DIGITS = ("ling2", "yi1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3")
_EN_NUMBERS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
)  # fmt: skip
_EN_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")

CATALOGUE: dict[str, tuple[Clip, ...]] = {
    "zh": (
        Clip(CHIME, "", None),
        Clip("qing", "请", "qing3"),
        Clip("hao", "号", "hao4"),
        Clip("dao", "到", "dao4"),
        Clip("hao_chuangkou_banli", "号窗口办理", "hao4 chuang1 kou3 ban4 li3"),
        *(Clip(str(n), "零一二三四五六七八九"[n], pinyin) for n, pinyin in enumerate(_ZH_DIGITS)),
        Clip("10", "十", "shi2"),
        *(Clip(letter, letter, letter) for letter in ascii_uppercase),
    ),
    "en": (
        Clip("number", "Number", "Number"),
        Clip("please_go_to_window", "please go to window", "please go to window"),
        *(Clip(str(n), word, word) for n, word in enumerate(_EN_NUMBERS)),
        *(Clip(str(10 * tens), word, word) for tens, word in enumerate(_EN_TENS, start=2)),
        *(Clip(letter, letter, letter) for letter in ascii_uppercase),
    ),
}


class VoiceBuildError(Exception):
    """The default clips cannot be built; the message says what is missing."""


def needs_build(out_dir: Path = DEFAULT_DIR) -> bool:
    """True when the set is missing or older than this catalogue."""
    manifest = out_dir / "manifest.json"
    return not manifest.exists() or manifest.stat().st_mtime < Path(__file__).stat().st_mtime


def build_clips(out_dir: Path = DEFAULT_DIR) -> dict:
    """Write every clip of the catalogue as out_dir/<lang>/<name>.wav and out_dir/manifest.json
    (each clip's file, text, espeak-ng input, phonemes and length); returns the manifest. The
    old set is replaced only once the new one is complete."""
    espeak = _espeak()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".voice-", dir=out_dir.parent))
    try:
        for lang in CATALOGUE:
            (work / lang).mkdir()
        jobs = [(lang, clip) for lang, clips in CATALOGUE.items() for clip in clips]
        with ThreadPoolExecutor() as pool:
            phonemes = list(pool.map(lambda job: _render(espeak, work, *job), jobs))
        manifest: dict[str, Any] = {
            "generator": _version(espeak),
            "languages": {lang: {"voice": voice, "clips": {}} for lang, voice in ESPEAK_VOICES.items()},
        }
        for (lang, clip), spoken in zip(jobs, phonemes, strict=True):
            file = f"{lang}/{clip.name}.wav"
            with wave.open(str(work / file), "rb") as w:
                seconds = round(w.getnframes() / w.getframerate(), 3)
            manifest["languages"][lang]["clips"][clip.name] = {
                "file": file, "text": clip.text, "say": clip.say, "phonemes": spoken, "seconds": seconds,
            }  # fmt: skip
        (work / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        work.rename(out_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return manifest


def pack_files(source: Path, lang: str) -> dict[str, Path]:
    """A recorded pack's clip files for a language, by clip name: as its manifest.json names
    them (the default set's format: languages.<lang>.clips.<name>.file), else
    <source>/<lang>/<clip name>.<an audio type>."""
    manifest = source / "manifest.json"
    if manifest.is_file():
        listed = json.loads(manifest.read_text("utf-8")).get("languages", {}).get(lang, {}).get("clips", {})
        return {
            name: source / clip["file"] for name, clip in listed.items() if (source / clip["file"]).is_file()
        }
    folder = source / lang
    found = sorted(folder.iterdir()) if folder.is_dir() else []
    return {path.stem: path for path in found if path.suffix.lower() in AUDIO_TYPES}


def import_pack(source: Path, target: Path, needed: dict[str, set[str]]) -> dict[str, int]:
    """Copy a hall's recorded voice pack into target (<target>/<lang>/<name>.<type>, the old
    pack replaced) once it has every clip `needed` names per language; how many clips per
    language. Missing clips, and files named after no clip, are a VoiceBuildError naming them."""
    problems = []
    chosen: dict[str, dict[str, Path]] = {}
    for lang, names in needed.items():
        files = pack_files(source, lang)
        known = {clip.name for clip in CATALOGUE[lang]}
        missing = sorted(names - files.keys(), key=_clip_order(lang))
        unknown = sorted(files.keys() - known)
        if missing:
            problems.append(f"{lang}: no recording of {', '.join(missing)}")
        if unknown:
            problems.append(
                f"{lang}: {', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not a clip of the voice"
            )
        chosen[lang] = {name: path for name, path in files.items() if name in known}
    if problems:
        raise VoiceBuildError(f"{source}: " + "; ".join(problems))
    work = Path(tempfile.mkdtemp(prefix=".voice-import-", dir=target.parent))
    try:
        for lang, files in chosen.items():
            (work / lang).mkdir()
            for name, path in files.items():
                shutil.copyfile(path, work / lang / f"{name}{path.suffix.lower()}")
        if target.exists():
            shutil.rmtree(target)
        work.rename(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {lang: len(files) for lang, files in chosen.items()}


def needed_clips(queue_codes: list[str], windows: int, english: bool) -> dict[str, set[str]]:
    """The clips a hall's calls can use: every word and digit, the letters of its queue codes,
    and (in English) the numbers of its windows."""
    letters = {c for code in queue_codes for c in code.upper() if c in ascii_uppercase}
    needed = {
        "zh": {
            clip.name for clip in CATALOGUE["zh"] if clip.name not in ascii_uppercase or clip.name in letters
        }
    }
    if english:
        numbers = {str(n) for n in range(min(windows, 19) + 1)} | {
            str(10 * t) for t in range(2, windows // 10 + 1)
        }
        needed["en"] = {"number", "please_go_to_window"} | letters | {str(n) for n in range(10)} | numbers
    return needed


# -- the kiosks' phrases ---------------------------------------------------------------------

_HAN = re.compile(r"[\u3400-\u9fff]")
_SYLLABLE = re.compile(r"^[a-zü]+[1-5]$")
_ZH_NUMERALS = "零一二三四五六七八九"


def _zh_number(digits: str) -> str:
    """A run of digits as Mandarin reads it in a name: 4 四, 12 十二, 20 二十; longer runs digit
    by digit (2024 二零二四), as halls read codes and years."""
    n = int(digits)
    if len(digits) > 2 or n < 10 or digits.startswith("0"):
        return "".join(_ZH_NUMERALS[int(d)] for d in digits)
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _ZH_NUMERALS[tens]) + "十" + (_ZH_NUMERALS[ones] if ones else "")


def phrase_voice(text: str) -> tuple[str, str]:
    """The language and espeak-ng input of a phrase: Mandarin (it has a Han character) as
    pinyin with tone numbers, as the default clips are given, its digits read as a number and
    its Latin letters by name, punctuation a pause; anything else as English text."""
    if not _HAN.search(text):
        return "en", text
    # Imported here: pypinyin's dictionaries take some 55 MiB, which a serving process needs
    # only when a kiosk asks for a phrase not made yet.
    from pypinyin import Style, lazy_pinyin

    spoken = re.sub(r"\d+", lambda m: _zh_number(m.group()), text)
    words: list[str] = []
    for token in lazy_pinyin(spoken, style=Style.TONE3, neutral_tone_with_five=True, v_to_u=True):
        if _SYLLABLE.match(token):
            words.append(token)
            continue
        for char in token:
            if char.isascii() and char.isalpha():
                words.append(char.upper())
            elif words and words[-1] != ",":
                words.append(",")
    return "zh", " ".join(words).strip(" ,").replace(" ,", ",")


def phrase_clip(text: str, cache_dir: Path) -> Path:
    """A WAV of espeak-ng saying the phrase, as the default clips are spoken (same voices, rate
    and trimming): cache_dir/<lang>/<key>.wav, built on the first request and kept (the key
    is a digest of what espeak-ng is given, so a changed name is a new clip). Written under a
    temporary name, then renamed: two kiosks asking at once never read half a file."""
    lang, say = phrase_voice(text)
    key = hashlib.sha256(f"{ESPEAK_VOICES[lang]}|{SPEED}|{say}".encode()).hexdigest()[:32]
    path = cache_dir / lang / f"{key}.wav"
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = Clip(f".{key}-{os.getpid()}-{os.urandom(4).hex()}", text, say)
    _render(_espeak(), cache_dir, lang, partial)
    os.replace(cache_dir / lang / f"{partial.name}.wav", path)
    return path


def _clip_order(lang: str):
    order = {clip.name: n for n, clip in enumerate(CATALOGUE[lang])}
    return lambda name: order.get(name, len(order))


def _espeak() -> str:
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise VoiceBuildError(
            "espeak-ng is not installed (it speaks the default voice clips): install Debian's "
            "espeak-ng package (`./dev setup` does), or give the hall its own recordings"
        )
    return espeak


def _version(espeak: str) -> str:
    """'eSpeak NG text-to-speech: 1.51' (without where its data is)."""
    out = subprocess.run([espeak, "--version"], capture_output=True, text=True).stdout
    return out.split("  Data at:")[0].strip()


def _render(espeak: str, work: Path, lang: str, clip: Clip) -> str | None:
    """Write work/<lang>/<name>.wav; returns espeak-ng's phonemes for it (None for the chime)."""
    path = work / lang / f"{clip.name}.wav"
    if clip.say is None:
        _write_chime(path)
        return None
    done = subprocess.run(
        [espeak, "-v", ESPEAK_VOICES[lang], "-s", str(SPEED), "-x", "-w", str(path), "--", clip.say],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise VoiceBuildError(
            f"espeak-ng (voice {ESPEAK_VOICES[lang]}) failed on {lang}/{clip.name} ({clip.say!r}): "
            f"{(done.stderr or done.stdout).strip()}"
        )
    _trim_silence(path)
    return done.stdout.strip()


def _trim_silence(path: Path, threshold: int = 300, pad: float = 0.015) -> None:
    """espeak-ng leaves about 40 ms before and 300 ms after each word; clips played back to
    back need only a breath between them."""
    with wave.open(str(path), "rb") as w:
        params = w.getparams()
        samples = array.array("h", w.readframes(w.getnframes()))
    loud = [i for i, sample in enumerate(samples) if abs(sample) > threshold]
    if not loud:
        return
    margin = int(pad * params.framerate)
    kept = samples[max(0, loud[0] - margin) : loud[-1] + margin]
    with wave.open(str(path), "wb") as w:
        w.setparams(params)
        w.writeframes(kept.tobytes())


def _write_chime(path: Path) -> None:
    """A short ding-dong (E5 then C5) with bell-like overtones, each note decaying."""
    notes = ((0.0, 659.25), (0.2, 523.25))
    length = int(0.55 * RATE)
    signal = [0.0] * length
    for start, frequency in notes:
        for i in range(int(start * RATE), length):
            t = i / RATE - start
            envelope = min(1.0, t / 0.005) * math.exp(-7 * t)
            signal[i] += envelope * sum(
                amplitude * math.sin(2 * math.pi * frequency * overtone * t)
                for overtone, amplitude in ((1, 1.0), (2, 0.3), (3, 0.12))
            )
    peak = max(abs(s) for s in signal)
    samples = array.array("h", (int(0.6 * 32767 * s / peak) for s in signal))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples.tobytes())
