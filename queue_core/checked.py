"""Status-checked updates: the rule that makes a second, concurrent action fail cleanly
instead of overwriting the first one's result."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

if TYPE_CHECKING:
    from sqlalchemy.engine import CursorResult, Result

    from .unit_of_work import UnitOfWork


def update_if(uow: UnitOfWork, row: Any, state: Any, expected: Collection[str], **values: Any) -> bool:
    """UPDATE the row's table SET values WHERE it is this row AND `state` (a column) is still
    one of `expected`. On success the instance mirrors the values without reading the row
    back; otherwise it is refreshed (so the caller can say what state it is really in) and
    False is returned."""
    model = type(row)
    result = uow.session.execute(
        update(model)
        .where(model.id == row.id, state.in_(expected))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        uow.session.refresh(row)
        return False
    for key, value in values.items():
        set_committed_value(row, key, value)
    return True


def rowcount(result: Result[*tuple[Any, ...]]) -> int:
    """The rows an UPDATE or DELETE matched. Session.execute is typed to return a plain Result;
    for such a statement it is a CursorResult, which counts them."""
    return cast("CursorResult[*tuple[Any, ...]]", result).rowcount
