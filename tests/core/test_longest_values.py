"""Every text a hall's set-up may hold, at the longest its model allows, fits the database
column it is written to: PostgreSQL refuses what a varchar cannot hold (SQLite keeps it), so a
bound looser than its column would be a 500 there."""

from __future__ import annotations

import pytest
from pydantic import BaseModel
from pypinyin import lazy_pinyin
from sqlalchemy import select

from queue_core.models import Department, Queue, ServiceItem, Window
from queue_core.setup import save_department, save_item, save_queue, save_window
from queue_core.spec import (
    DISCLOSURE_LINE_LENGTH,
    DISCLOSURE_LINES,
    FEES_LENGTH,
    DepartmentSpec,
    ItemSpec,
    QueueSpec,
    WindowSpec,
)

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


def longest(model: type[BaseModel], name: str, char: str = "庄") -> str:
    """The field's longest value: 庄 (zhuang) has the longest pinyin there is."""
    bound = next(m.max_length for m in model.model_fields[name].metadata if hasattr(m, "max_length"))
    return char * bound


def test_the_longest_names_and_disclosures_fit_their_columns(db, hall):
    line = "材" * DISCLOSURE_LINE_LENGTH
    item = ItemSpec(
        code="X" * 20,
        name=longest(ItemSpec, "name"),
        name_en=longest(ItemSpec, "name_en", "W"),
        department="D" * 20,
        queue="ZZ",
        kind="即办件",
        applicant=longest(ItemSpec, "applicant"),
        basis=[line] * DISCLOSURE_LINES,
        materials=[line] * DISCLOSURE_LINES,
        conditions=[line] * DISCLOSURE_LINES,
        procedure=[line] * DISCLOSURE_LINES,
        fees="费" * FEES_LENGTH,
        fee_basis="据" * FEES_LENGTH,
        authority=longest(ItemSpec, "authority"),
        applicant_en=longest(ItemSpec, "applicant_en", "W"),
        basis_en=[line] * DISCLOSURE_LINES,
        fees_en="F" * FEES_LENGTH,
        authority_en=longest(ItemSpec, "authority_en", "W"),
    )
    with db.write() as uow:
        save_department(
            uow,
            hall,
            DepartmentSpec(
                code="D" * 20,
                name=longest(DepartmentSpec, "name"),
                name_en=longest(DepartmentSpec, "name_en", "W"),
            ),
        )
        save_queue(
            uow,
            hall,
            QueueSpec(
                code="ZZ",
                name=longest(QueueSpec, "name"),
                name_en=longest(QueueSpec, "name_en", "W"),
                number_format="{code}{n:06d}",
            ),
            None,
        )
        save_window(
            uow,
            hall,
            WindowSpec(
                number=9999,
                name=longest(WindowSpec, "name"),
                name_en=longest(WindowSpec, "name_en", "W"),
                queues=["ZZ"],
            ),
        )
        save_item(uow, hall, item)
    with db.read() as uow:
        saved = uow.session.scalars(select(ServiceItem).where(ServiceItem.code == item.code)).one()
        assert (saved.name, saved.materials, saved.fees) == (item.name, item.materials, item.fees)
        assert (saved.applicant_en, saved.basis_en, saved.authority_en) == (
            item.applicant_en,
            item.basis_en,
            item.authority_en,
        )
        assert saved.search_pinyin.startswith("zhuangzhuang")
        assert uow.session.scalars(select(Queue).where(Queue.code == "ZZ")).one().name_en == "W" * 120
        assert (
            uow.session.scalars(select(Department).where(Department.code == "D" * 20)).one().name_en
            == "W" * 120
        )
        window = uow.session.scalars(select(Window).where(Window.number == 9999)).one()
        assert (window.name, window.name_en) == ("庄" * 80, "W" * 120)
    assert len("".join(lazy_pinyin(item.name))) > len(saved.search_pinyin)  # why this test exists
