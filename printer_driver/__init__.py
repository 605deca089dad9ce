"""ESC/POS printing of tickets and one-time notices (no Flask here).

address    printer URLs as hall.toml writes them
settings   one printer's set-up: URL, text or image mode, paper width, encoding
transports one class per way of reaching a printer, and its DLE EOT status
layout     the hall's editable layout, filled and wrapped into lines
render     lines into bytes: text mode (printer font, FS & …) or image mode (Pillow)
spooler    per-kiosk worker threads: status checks, backup printer, bounded retry, 重打
"""

from .address import PrinterAddress, parse_printer_url
from .layout import Layout, LayoutError, lay_out, load_layout
from .render import Rendered, renderer_for
from .settings import PrinterSettings
from .spooler import JobReport, JobResult, Printer, PrintJob, PrintListener, RetryPolicy, Station
from .status import PrinterStatus

__all__ = [
    "JobReport",
    "JobResult",
    "Layout",
    "LayoutError",
    "PrintJob",
    "PrintListener",
    "Printer",
    "PrinterAddress",
    "PrinterSettings",
    "PrinterStatus",
    "Rendered",
    "RetryPolicy",
    "Station",
    "lay_out",
    "load_layout",
    "parse_printer_url",
    "renderer_for",
]
