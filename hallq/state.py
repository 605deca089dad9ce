"""What the running app knows: the database, the hall's description and its code."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from queue_core import Database, UnitOfWork
from queue_core.halls import hall_by_code
from queue_core.models import Hall
from queue_core.spec import HallSpec

from .settings import Settings


@dataclass
class HallqState:
    settings: Settings
    db: Database
    spec: HallSpec

    @property
    def hall_code(self) -> str:
        return self.spec.hall.code


def state() -> HallqState:
    return current_app.extensions["hallq"]


def current_hall(uow: UnitOfWork) -> Hall:
    return hall_by_code(uow, state().hall_code)
