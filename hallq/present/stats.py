"""The hall's statistics of a period (queue_core.statistics) as the API answers them: the
figures of the hall, and of each group when grouped. hallq.present.reports writes the same
summary as the report page's table, CSV and XLSX."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from .evaluations import EvaluationFigures


class DurationFigures(BaseModel):
    mean: float | None
    median: float | None
    p90: float | None
    max: float | None


class StatsFigures(BaseModel):
    issued: int
    served: int
    no_show: int
    cancelled: int
    transferred: int
    wait: DurationFigures = Field(description="Seconds from issue to the last call, over called tickets")
    handle: DurationFigures = Field(description="Seconds from start to finish, over served tickets")
    service_level: float | None = Field(description="Called within the queue's target wait / called")
    throughput_per_hour: float | None
    utilisation: float | None = Field(description="Handling time / open time (hall, window, clerk)")
    evaluation: EvaluationFigures = Field(
        description="好差评 of the services finished in the period (the group's, for a group)"
    )


class StatsGroup(StatsFigures):
    queue: str | None = None
    item: str | None = None
    department: str | None = None
    window: int | None = None
    staff: str | None = None
    name: str | None = None
    badge: str | None = None


class StatsSummaryOut(StatsFigures):
    from_: str = Field(alias="from")
    to: str
    group_by: str | None
    groups: list[StatsGroup] | None = None

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)
