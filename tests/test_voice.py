"""The hall board's voice on the server: the default clips built with espeak-ng, and the route
that serves a hall's own recordings before them."""

from __future__ import annotations

import array
import itertools
import json
import re
import shutil
import wave
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import render_template

from hall_display.voice_clips import CATALOGUE, DEFAULT_DIR, VoiceBuildError, build_clips, needs_build
from hallq import create_app
from hallq.cli import main
from tests.conftest import DEMO_CONFIG, app_settings


@pytest.fixture(scope="session")
def default_clips() -> Path:
    """The default set the boards serve, built when missing or older than its catalogue (as
    `./dev` does), so that a fresh clone passes."""
    if needs_build(DEFAULT_DIR):
        build_clips(DEFAULT_DIR)
    return DEFAULT_DIR


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, dict]:
    """`hallq voice build --out DIR`, as an operator runs it."""
    out = tmp_path_factory.mktemp("voice") / "clips"
    result = CliRunner().invoke(main, ["voice", "build", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"{out}: 42 zh, 56 en voice clips (eSpeak NG" in result.output
    return out, json.loads((out / "manifest.json").read_text("utf-8"))


def samples(path: Path) -> tuple[wave._wave_params, array.array]:
    with wave.open(str(path), "rb") as w:
        return w.getparams(), array.array("h", w.readframes(w.getnframes()))


def test_the_build_writes_every_clip_of_the_catalogue_as_a_wav(built):
    out, manifest = built
    for lang, clips in CATALOGUE.items():
        listed = manifest["languages"][lang]["clips"]
        assert list(listed) == [clip.name for clip in clips]
        for clip in clips:
            params, audio = samples(out / lang / f"{clip.name}.wav")
            assert (params.nchannels, params.sampwidth) == (1, 2)
            assert listed[clip.name]["file"] == f"{lang}/{clip.name}.wav"
            assert listed[clip.name]["seconds"] == round(params.nframes / params.framerate, 3) > 0.1
            assert max(map(abs, audio)) > 3000, f"{lang}/{clip.name} is silent"
    assert sorted(p.name for p in out.iterdir()) == ["en", "manifest.json", "zh"]


def test_mandarin_clips_are_spoken_in_mandarin(built):
    _, manifest = built
    mandarin = manifest["languages"]["zh"]
    assert mandarin["voice"] == "cmn-latn-pinyin"
    for name, clip in mandarin["clips"].items():
        if name == "chime":
            continue
        # Every syllable carries its tone (qing3 → tS;h'i214N); "(en)" would mean English.
        assert "(en)" not in clip["phonemes"], (name, clip)
        syllables = clip["phonemes"].replace("_|", "").split()
        assert syllables and all(re.search(r"[1-5]{2,3}", s) for s in syllables), (name, clip)
    assert [mandarin["clips"][str(n)]["text"] for n in range(11)] == list("零一二三四五六七八九十")
    assert mandarin["clips"]["hao_chuangkou_banli"]["text"] == "号窗口办理"
    assert manifest["languages"]["en"]["clips"]["please_go_to_window"]["phonemes"].startswith("pl'i:z")


def dominant_frequency(audio: array.array, rate: int, start: float, end: float) -> float:
    part = audio[int(start * rate) : int(end * rate)]
    crossings = sum(1 for a, b in itertools.pairwise(part) if (a < 0) != (b < 0))
    return crossings / 2 / (end - start)


def test_the_chime_is_a_ding_dong(built):
    out, _ = built
    params, audio = samples(out / "zh" / "chime.wav")
    assert dominant_frequency(audio, params.framerate, 0.02, 0.22) == pytest.approx(659.25, rel=0.05)
    assert dominant_frequency(audio, params.framerate, 0.25, 0.45) == pytest.approx(523.25, rel=0.05)


def test_without_espeak_ng_the_build_says_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(VoiceBuildError, match="espeak-ng is not installed"):
        build_clips(tmp_path / "clips")
    result = CliRunner().invoke(main, ["voice", "build", "--out", str(tmp_path / "clips")])
    assert result.exit_code == 1
    assert "espeak-ng is not installed" in result.output and "./dev setup" in result.output
    assert not (tmp_path / "clips").exists()


# -- the route: the hall's recordings first ------------------------------------------------


def recording(path: Path, frequency: int) -> bytes:
    """A stand-in for a hall's recording: a short tone, written as a real WAV file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(
            array.array("h", (10000 * ((i * frequency // 4000) % 2) for i in range(4000))).tobytes()
        )
    return path.read_bytes()


@pytest.fixture
def hall_app(tmp_path, default_clips):
    """The demo hall with `[voice] clips = "voice"` and two recordings of its own."""
    config = tmp_path / "config"
    shutil.copytree(DEMO_CONFIG, config)
    with (config / "hall.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[voice]\nclips = "voice"\nenglish = true\nrepeat = 2\n')
    recordings = {
        "zh/qing": recording(config / "voice" / "zh" / "qing.wav", 440),
        "en/number": recording(config / "voice" / "en" / "number.wav", 880),
    }
    recording(config / "voice" / "zh" / "extra.wav", 220)  # not a clip of the catalogue
    (config / "voice" / "zh" / "hao.txt").write_text("not audio")
    app = create_app(app_settings(tmp_path, config_dir=config))
    app.config["TESTING"] = True
    app.recordings = recordings  # type: ignore[attr-defined]  # the tests' own: what they read back
    yield app
    app.extensions["hallq"].printing.close()
    app.extensions["hallq"].db.engine.dispose()


def test_the_halls_recording_replaces_the_default_clip(hall_app, default_clips):
    client = hall_app.test_client()
    for clip, data in hall_app.recordings.items():
        answer = client.get(f"/board/voice/{clip}")
        assert (answer.status_code, answer.mimetype, answer.data) == (200, "audio/wav", data)
    # What the hall has not recorded comes from the default set (hao.txt is not audio).
    answer = client.get("/board/voice/zh/hao")
    assert (answer.status_code, answer.mimetype) == (200, "audio/wav")
    assert answer.data == (default_clips / "zh" / "hao.wav").read_bytes()
    assert (
        client.get("/board/voice/en/please_go_to_window").data
        == (default_clips / "en" / "please_go_to_window.wav").read_bytes()
    )


def test_a_clip_nobody_has_is_a_404_naming_it(hall_app, tmp_path, monkeypatch):
    monkeypatch.setattr("hall_display.voice.DEFAULT_DIR", tmp_path / "not-built")
    client = hall_app.test_client()
    answer = client.get("/board/voice/zh/dao")
    assert answer.status_code == 404
    assert "no voice clip zh/dao" in answer.text and "hallq voice build" in answer.text
    assert client.get("/board/voice/zh/qing").data == hall_app.recordings["zh/qing"]


@pytest.mark.parametrize(
    "path",
    [
        "/board/voice/zh/..%2F..%2Fhall.toml",
        "/board/voice/zh/..%2Fhall",
        "/board/voice/zh/%2e%2e",
        "/board/voice/..%2Fhall.toml/x",
        "/board/voice/zh/extra",  # in the hall's folder, but not a clip
        "/board/voice/zh/hall",
        "/board/voice/fr/qing",
        "/board/voice/zh/qing.wav",
    ],
)
def test_only_clips_of_the_catalogue_are_served(hall_app, path):
    answer = hall_app.test_client().get(path)
    assert answer.status_code == 404
    assert b"RIFF" not in answer.data and b"[hall]" not in answer.data


def render_include(app) -> tuple[str, dict]:
    """The hall board's voice include as the board renders it, and the setup it carries."""
    with app.test_request_context("/board/hall"):
        html = render_template("hall_display/voice.html")
    return html, json.loads(re.search(r'id="hallq-voice-setup">(.*?)</script>', html, re.S).group(1))


def test_the_include_gives_the_board_its_setup(hall_app):
    html, setup = render_include(hall_app)
    assert '<script src="/board/static/announcer.js">' in html
    assert (setup["repeat"], setup["english"], setup["browser_voice"]) == (2, True, True)
    assert setup["clips"]["zh"]["qing"] == "/board/voice/zh/qing"
    assert setup["clips"]["en"]["number"] == "/board/voice/en/number"
    assert {lang: set(clips) for lang, clips in setup["clips"].items()} == {
        lang: {clip.name for clip in clips} for lang, clips in CATALOGUE.items()
    }
    assert setup["texts"]["zh"]["hao_chuangkou_banli"] == "号窗口办理"
    assert setup["texts"]["en"]["please_go_to_window"] == "please go to window"


def test_the_setup_lists_only_clips_that_exist(hall_app, tmp_path, monkeypatch):
    monkeypatch.setattr("hall_display.voice.DEFAULT_DIR", tmp_path / "not-built")
    _, setup = render_include(hall_app)
    assert setup["clips"] == {
        "zh": {"qing": "/board/voice/zh/qing"},
        "en": {"number": "/board/voice/en/number"},
    }


# -- a hall's own recorded pack: hallq voice import ------------------------------------------


def test_a_recorded_pack_is_imported_only_when_it_has_every_clip_the_hall_uses(tmp_path, monkeypatch):
    """The demo's queues are A–H and it speaks Mandarin only: every word and digit, and the
    letters A–H, are needed; I–Z are not. A missing clip or a stray file is named; nothing is
    copied until the pack is whole."""
    config = tmp_path / "config"
    shutil.copytree(DEMO_CONFIG, config)
    monkeypatch.setenv("HALLQ_CONFIG", str(config))
    pack = tmp_path / "pack"
    for clip in CATALOGUE["zh"]:
        if clip.name not in "IJKLMNOPQRSTUVWXYZ":
            recording(pack / "zh" / f"{clip.name}.wav", 440)
    (pack / "zh" / "qing.wav").unlink()
    recording(pack / "zh" / "qingwen.wav", 440)
    refused = CliRunner().invoke(main, ["voice", "import", str(pack)])
    assert refused.exit_code == 1
    assert (
        "zh: no recording of qing" in refused.output
        and "qingwen is not a clip of the voice" in refused.output
    )
    assert not (config / "voice").exists()

    (pack / "zh" / "qingwen.wav").rename(pack / "zh" / "qing.wav")
    done = CliRunner().invoke(main, ["voice", "import", str(pack)])
    assert done.exit_code == 0, done.output
    assert f"{config / 'voice'}: 24 zh recorded clips" in done.output
    assert 'add [voice] clips = "voice" to hall.toml' in done.output
    assert (config / "voice" / "zh" / "qing.wav").read_bytes() == (pack / "zh" / "qing.wav").read_bytes()
