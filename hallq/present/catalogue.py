"""The catalogue of service items as its managers keep it (事项管理): every item, withdrawn ones
too, with its eight disclosures, as the API answers it and the administration pages list it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from queue_core import UnitOfWork
from queue_core.models import Hall, ServiceItem
from queue_core.spec import ItemSpec


class CatalogueItem(ItemSpec):
    active: bool = Field(description="Shown on the kiosks; false once withdrawn")


class CatalogueQuery(BaseModel):
    """A look into the catalogue: the API's query string, and the items page's filter."""

    # As the API's request models: unknown names refused, text stripped.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    department: str | None = Field(None, max_length=20, description="a department code")
    q: str = Field("", max_length=60, description="part of the name, code or a keyword, or pinyin initials")


class ImportOut(BaseModel):
    added: int
    updated: int


def item_spec(item: ServiceItem) -> ItemSpec:
    return ItemSpec.model_validate(
        {
            **{
                name: getattr(item, name)
                for name in ItemSpec.model_fields
                if name not in ("department", "queue")
            },
            "department": item.department.code,
            "queue": item.queue.code,
        }
    )


def catalogue_item(item: ServiceItem) -> CatalogueItem:
    return CatalogueItem(**item_spec(item).model_dump(), active=item.active)


def catalogue(uow: UnitOfWork, hall: Hall, query: CatalogueQuery | None = None) -> list[ServiceItem]:
    """The hall's items in the order of their departments, then by code."""
    items = uow.session.scalars(select(ServiceItem).where(ServiceItem.hall_id == hall.id))
    wanted = (query or CatalogueQuery()).q.lower()
    department = query.department if query else None
    found = [
        item
        for item in items
        if (department is None or item.department.code == department)
        and (
            wanted in item.name.lower()
            or wanted in item.code.lower()
            or wanted in item.search_initials
            or any(wanted in keyword.lower() for keyword in item.keywords)
        )
    ]
    found.sort(key=lambda item: (item.department.position, item.code))
    return found
