"""The hall's domain: tickets, queues, windows and the rules that move tickets between them.

No Flask here. Every operation runs inside a UnitOfWork from Database.write() and takes its
time from the Clock it was given; committed changes come out as domain events.
"""

from .clock import Clock, ManualClock, SystemClock
from .db import Database, make_engine
from .unit_of_work import UnitOfWork

__all__ = ["Clock", "Database", "ManualClock", "SystemClock", "UnitOfWork", "make_engine"]
