"""Finding service items by Chinese text, full pinyin (hunyin) or initials (hydj)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlalchemy import or_, select

from .models import Department, ServiceItem

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork

_HAN = re.compile(r"[\u3400-\u9fff]")
_NOT_LETTERS = re.compile(r"[^a-z]")


def pinyin_keys(text: str) -> tuple[str, str]:
    """(full pinyin, initials) of the Han characters in text, letters only, lower case."""
    # Imported here: its dictionaries take some 55 MiB, which a serving process needs only
    # when an item is saved (searches read the keys stored then).
    from pypinyin import Style, lazy_pinyin

    han = "".join(_HAN.findall(text))
    # Cut to its column: a name of 200 characters may spell out to 1,200 letters (zhuang...),
    # and a search types the first few.
    full = "".join(lazy_pinyin(han))[: ServiceItem.search_pinyin.type.length]
    initials = "".join(lazy_pinyin(han, style=Style.FIRST_LETTER))
    return full, initials


def search_items(
    uow: UnitOfWork,
    hall_id: int,
    query: str,
    limit: int = 50,
    *,
    department: str | None = None,
    topic: str | None = None,
) -> list[ServiceItem]:
    """Items matching the query, within a department (code) and a life-event topic if given."""
    q = query.strip()
    stmt = select(ServiceItem).where(ServiceItem.hall_id == hall_id, ServiceItem.active)
    if department is not None:
        stmt = stmt.join(Department).where(Department.code == department)
    if topic is not None:
        # Topics are a short JSON list per item; a hall has a few hundred items at most.
        return [i for i in search_items(uow, hall_id, q, 500, department=department) if topic in i.topics][
            :limit
        ]
    if not q:
        return list(uow.session.scalars(stmt.order_by(ServiceItem.code).limit(limit)))
    if _HAN.search(q):
        cond = or_(ServiceItem.name.contains(q, autoescape=True), ServiceItem.code == q)
    else:
        letters = _NOT_LETTERS.sub("", q.lower())
        cond = or_(
            ServiceItem.code.ilike(q),
            ServiceItem.name_en.ilike(f"%{q}%"),
            *(
                [ServiceItem.search_initials.contains(letters), ServiceItem.search_pinyin.contains(letters)]
                if letters
                else []
            ),
        )
    items = list(uow.session.scalars(stmt.where(cond).limit(500)))
    items.sort(key=lambda item: (_rank(item, q), item.code))
    return items[:limit]


def _rank(item: ServiceItem, query: str) -> int:
    """Best first: the name starts with the query, then the initials or pinyin do."""
    letters = _NOT_LETTERS.sub("", query.lower())
    if item.name.startswith(query):
        return 0
    if letters and (item.search_initials.startswith(letters) or item.search_pinyin.startswith(letters)):
        return 1
    return 2
