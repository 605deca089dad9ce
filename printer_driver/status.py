"""A printer's state, read with the real-time status query DLE EOT n.

Each answer byte has bit 1 and bit 4 set and bits 0 and 7 clear (0b0xx1xx10); anything else
(an echo, line noise, a printer that does not implement the query) is no answer. No answer
means the state is unknown, never that the printer is fine.
"""

from __future__ import annotations

from enum import StrEnum

DLE_EOT = b"\x10\x04"
PRINTER_STATUS, OFFLINE_CAUSE, PAPER_SENSOR = 1, 2, 4


class PrinterStatus(StrEnum):
    ONLINE = "online"
    PAPER_LOW = "paper_low"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"
    UNKNOWN = "unknown"

    @property
    def can_print(self) -> bool:
        """Worth sending a ticket to: a printer that does not answer status may still print."""
        return self in (PrinterStatus.ONLINE, PrinterStatus.PAPER_LOW, PrinterStatus.UNKNOWN)

    @property
    def alarm(self) -> bool:
        """Needs a person: the manager's dashboard and the kiosk show it."""
        return self in (
            PrinterStatus.PAPER_LOW,
            PrinterStatus.PAPER_OUT,
            PrinterStatus.COVER_OPEN,
            PrinterStatus.OFFLINE,
        )


def is_status_byte(value: int) -> bool:
    return value & 0x93 == 0x12


def status_from_replies(replies: dict[int, int]) -> PrinterStatus:
    """The state that DLE EOT 1, 2 and 4 answers describe; what is missing is not assumed fine."""
    paper = replies.get(PAPER_SENSOR)
    cause = replies.get(OFFLINE_CAUSE)
    printer = replies.get(PRINTER_STATUS)
    if (paper is not None and paper & 0x60) or (cause is not None and cause & 0x20):
        return PrinterStatus.PAPER_OUT
    if cause is not None and cause & 0x04:
        return PrinterStatus.COVER_OPEN
    if printer is None:
        return PrinterStatus.UNKNOWN
    if printer & 0x08:
        return PrinterStatus.OFFLINE
    if paper is not None and paper & 0x0C:
        return PrinterStatus.PAPER_LOW
    return PrinterStatus.ONLINE if paper is not None else PrinterStatus.UNKNOWN
