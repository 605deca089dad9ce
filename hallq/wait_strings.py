"""The texts of the expected wait (hallq/static/wait_range.js), for every page that shows it:
the kiosk, the phone page and the hall board each add them to their own strings."""

from __future__ import annotations

from hallq.i18n import _n

WAIT_STRINGS = {
    "wait_minutes": _n("about %(n)d min"),
    "wait_range": _n("about %(low)d–%(high)d min"),
    "wait_unknown": _n("No estimate yet"),
}
