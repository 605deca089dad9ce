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


class NoticeFigures(BaseModel):
    one_time_notices: int = Field(description="一次性告知书 given for the period's tickets (补正 notices)")
    refusal_notices: int = Field(description="不予受理告知书 given")
    acceptance_notices: int = Field(description="受理通知单 given")
    supplement_services: int = Field(
        description="Services finished as 补正材料 (materials to supplement) of items that list materials"
    )
    told_in_writing: int = Field(description="Of those, the services that got a 一次性告知书")
    one_time_rate: float | None = Field(description="一次告知率: told_in_writing / supplement_services")


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
    notices: NoticeFigures = Field(description="The windows' written notices for the period's tickets")


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
