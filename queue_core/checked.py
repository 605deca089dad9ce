"""Status-checked updates: the rule that makes a second, concurrent action fail cleanly
instead of overwriting the first one's result."""

from __future__ import annotations

from collections.abc import Collection
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Update, bindparam, update
from sqlalchemy.orm.attributes import set_committed_value

if TYPE_CHECKING:
    from sqlalchemy.engine import CursorResult, Result

    from .unit_of_work import UnitOfWork


def update_if(uow: UnitOfWork, row: Any, state: Any, expected: Collection[str], **values: Any) -> bool:
    """UPDATE the row's table SET values WHERE it is this row AND `state` (a column) is still
    one of `expected`. On success the instance mirrors the values without reading the row
    back; otherwise it is refreshed (so the caller can say what state it is really in) and
    False is returned."""
    uow.session.flush()  # as the ORM's own update would: the check sees pending changes
    statement = _checked_update(row.__class__, state.key, tuple(sorted(values)))
    params = {f"new_{key}": value for key, value in values.items()}
    result = uow.session.execute(statement, params | {"row_id": row.id, "expected": list(expected)})
    if rowcount(result) != 1:
        uow.session.refresh(row)
        return False
    for key, value in values.items():
        set_committed_value(row, key, value)
    return True


@cache
def _checked_update(model: Any, state: str, keys: tuple[str, ...]) -> Update:
    """Built once per model, state column and set of columns changed, on the table: the ORM's
    bulk update would only add cost (the instance is mirrored by hand above)."""
    columns = model.__mapper__.columns
    return (
        update(model.__table__)
        .where(
            columns["id"] == bindparam("row_id"), columns[state].in_(bindparam("expected", expanding=True))
        )
        .values({columns[key]: bindparam(f"new_{key}", type_=columns[key].type) for key in keys})
    )


def rowcount(result: Result[*tuple[Any, ...]]) -> int:
    """The rows an UPDATE or DELETE matched. Session.execute is typed to return a plain Result;
    for such a statement it is a CursorResult, which counts them."""
    return cast("CursorResult[*tuple[Any, ...]]", result).rowcount
