"""Every text of the UI has its Simplified Chinese, and the compiled catalogue is current."""

from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

CATALOG = Path(__file__).resolve().parent.parent / "hallq" / "translations" / "zh_Hans_CN" / "LC_MESSAGES"


def test_every_message_is_translated():
    """Plural messages too: their Chinese is one form, which must not be empty."""
    with (CATALOG / "messages.po").open("rb") as f:
        catalog = read_po(f)
    assert [m.id for m in catalog if m.id and not all(_plain(m.string))] == []


def _plain(text: str | list[str] | tuple[str, ...] | None) -> str | tuple[str, ...]:
    """A plural message's forms come as a list from the .mo file, a tuple from the .po."""
    return text if isinstance(text, str) else tuple(text or ())


def test_the_compiled_catalog_matches_its_source():
    with (CATALOG / "messages.po").open("rb") as f:
        source = {_plain(m.id): _plain(m.string) for m in read_po(f) if m.id}
    with (CATALOG / "messages.mo").open("rb") as f:
        compiled = {_plain(m.id): _plain(m.string) for m in read_mo(f) if m.id}
    assert compiled == source, "run ./dev i18n"
