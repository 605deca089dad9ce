"""ESC/POS printing of tickets (no Flask here). The transports and the Chinese text and
image modes come with the printer issue; the address format is fixed now because
hall.toml names each kiosk's printer by URL."""

from .address import PrinterAddress, parse_printer_url

__all__ = ["PrinterAddress", "parse_printer_url"]
