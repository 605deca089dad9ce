"""The catalogue of service items as its managers keep it (事项管理): every item, withdrawn ones
too, edited one at a time or imported from and exported to the catalogue file that
`hallq catalog import` reads. The kiosks read the same rows: an edit shows on their next look."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Literal

from flask import Response, request
from pydantic import Field, ValidationError
from werkzeug.utils import secure_filename

from queue_core import UnitOfWork, setup
from queue_core.errors import Invalid
from queue_core.models import MANAGERS, OVERSIGHT
from queue_core.spec import HallSpec, ItemSettings, ItemSpec

from ..config_files import ConfigError, load_catalog, write_catalog
from ..present.administration import department_specs, queue_specs
from ..present.catalogue import CatalogueItem, CatalogueQuery, ImportOut, catalogue, catalogue_item, item_spec
from ..state import current_hall, state
from . import bp, doc
from .schemas import Payload

# A catalogue of 650 items with their full texts is about 2 MB as XLSX.
MAX_UPLOAD = 20 * 1024 * 1024


class ItemActive(Payload):
    active: bool = Field(description="false withdraws the item from the kiosks; true publishes it again")


class ExportQuery(Payload):
    format: Literal["csv", "xlsx"] = "xlsx"


@doc.operation(
    bp,
    "/catalogue/items",
    "GET",
    summary="List the catalogue, withdrawn items too",
    tag="administration",
    query=CatalogueQuery,
    roles=OVERSIGHT,
    responses={200: ("The items with their eight disclosures", CatalogueItem)},
)
def list_catalogue(query: CatalogueQuery) -> list[CatalogueItem]:
    with state().db.read() as uow:
        return [catalogue_item(item) for item in catalogue(uow, current_hall(uow), query)]


@doc.operation(
    bp,
    "/catalogue/items/<code>",
    "PUT",
    summary="Create or change a service item",
    tag="administration",
    body=ItemSettings,
    roles=MANAGERS,
    responses={
        200: ("The item as it is now (a withdrawn one stays withdrawn)", CatalogueItem),
        404: ("No such department or queue", None),
        422: ("Not valid: the message names the field", None),
    },
)
def put_catalogue_item(code: str, body: ItemSettings) -> CatalogueItem:
    try:
        spec = ItemSpec.model_validate({**body.model_dump(), "code": code})
    except ValidationError as exc:
        raise Invalid(f'"{code}" is not a valid item code: {exc.errors()[0]["msg"]}') from exc
    with state().db.write() as uow:
        return catalogue_item(setup.save_item(uow, current_hall(uow), spec))


@doc.operation(
    bp,
    "/catalogue/items/<code>/active",
    "PUT",
    summary="Withdraw a service item from the kiosks, or publish it again",
    tag="administration",
    body=ItemActive,
    roles=MANAGERS,
    responses={200: ("The item as it is now", CatalogueItem), 404: ("No such item", None)},
)
def put_item_active(code: str, body: ItemActive) -> CatalogueItem:
    """A withdrawn item is no longer found or ticketed at the kiosks; its past tickets and
    figures keep it."""
    with state().db.write() as uow:
        return catalogue_item(setup.set_item_active(uow, current_hall(uow), code, body.active))


@doc.operation(
    bp,
    "/catalogue/import",
    "POST",
    summary="Import a catalogue file (CSV or XLSX, multipart field 'file')",
    tag="administration",
    roles=MANAGERS,
    responses={
        200: ("Every row was valid and is saved; items the file names are active again", ImportOut),
        422: ("Nothing was imported: `problems` lists every bad row with its line", None),
    },
)
def import_catalogue() -> ImportOut:
    """The file `hallq catalog import` takes, with the same row-by-row checks, against the
    departments and queues the hall has now. All rows or none."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid("send the catalogue as the multipart field 'file'")
    name = secure_filename(upload.filename) or "catalogue"
    if Path(name).suffix.lower() not in (".csv", ".xlsx"):
        raise Invalid(f"{upload.filename}: a catalogue is a .csv or .xlsx file")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        data = upload.stream.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            raise Invalid(f"{upload.filename}: larger than {MAX_UPLOAD // 2**20} MB")
        path.write_bytes(data)
        with state().db.read() as uow:
            hall_now = _as_now(uow)
        try:
            items = load_catalog(path, hall_now)
        except ConfigError as exc:
            raise Invalid(
                f"{upload.filename}: nothing was imported, {len(exc.problems)} problem(s)",
                why="not_imported",
                file=upload.filename,
                count=len(exc.problems),
                problems=exc.problems,
            ) from exc
    with state().db.write() as uow:
        result = setup.import_items(uow, current_hall(uow), items)
    return ImportOut(added=result.created, updated=result.updated)


def _as_now(uow: UnitOfWork) -> HallSpec:
    """The hall with the departments and queues it has now (the browser may have added some
    since hall.toml was loaded), for the catalogue's checks."""
    hall = current_hall(uow)
    return state().spec.model_copy(
        update={"departments": department_specs(uow, hall), "queues": queue_specs(uow, hall)}
    )


@doc.operation(
    bp,
    "/catalogue/export",
    "GET",
    summary="Download the catalogue as CSV or XLSX",
    tag="administration",
    query=ExportQuery,
    roles=OVERSIGHT,
    responses={200: ("The active items in the import's format: importing it again changes nothing", None)},
)
def export_catalogue(query: ExportQuery) -> Response:
    """Withdrawn items are left out: an import publishes every item it names."""
    with state().db.read() as uow:
        items = [item_spec(item) for item in catalogue(uow, current_hall(uow)) if item.active]
    media = {
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    return Response(
        write_catalog(items, query.format),
        content_type=media[query.format],
        headers={"Content-Disposition": f"attachment; filename=catalog.{query.format}"},
    )
