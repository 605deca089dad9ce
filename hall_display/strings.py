"""Every text the boards' scripts show, from the Babel catalogue. A board shows one language
for its whole life (Chinese, or English with ?lang=en), so a page gets only its own."""

from __future__ import annotations

from hallq.i18n import _n, translated
from hallq.wait_strings import WAIT_STRINGS

STRINGS = {
    "window": _n("Window %(n)s"),
    "badge": _n("Badge %(badge)s"),
    "go_to": _n("Please go to %(window)s"),
    # The English boards name a window by its number and what it does, not by its Chinese name.
    "go_to_named": _n("Please go to window %(n)s (%(name)s)"),
    "go_to_number": _n("Please go to window %(n)s"),
    "welcome": _n("Welcome"),
    "state_closed": _n("Not in service"),
    "state_idle": _n("Free"),
    "state_called": _n("Calling"),
    "state_serving": _n("Serving"),
    "state_paused": _n("Paused"),
    "recall": _n("Recall"),
    "now_calling": _n("Now calling"),
    "recent_calls": _n("Recent calls"),
    "upcoming": _n("Next to be called"),
    "no_calls": _n("No calls yet today"),
    "waiting": _n("People waiting"),
    "windows": _n("Window status"),
    "offline": _n("Connection lost: reconnecting…"),
    **WAIT_STRINGS,
}


def strings_for(locale: str) -> dict[str, str]:
    return translated(STRINGS, locale)
