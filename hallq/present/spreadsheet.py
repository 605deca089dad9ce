"""Cells a spreadsheet will not run. A CSV or XLSX the server writes may hold what a person
typed (a staff name, an item's text); Excel and WPS run a cell that starts with =, +, -, @, a
tab or a carriage return as a formula (=HYPERLINK(...) leaks data when clicked). CSV cells
that start so get a leading apostrophe, which spreadsheets show as text and our own catalogue
import takes off again; XLSX cells are typed as text."""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def from_csv_cell(value: str | None) -> str | None:
    """What csv_cell wrote, as it was typed (None: a short row's missing cell, as csv reads it)."""
    if value is not None and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def xlsx_as_text(sheet: Any) -> None:
    """Every string cell of the openpyxl sheet that would be a formula, typed as text."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                cell.data_type = "s"
