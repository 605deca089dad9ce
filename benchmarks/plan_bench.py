"""What-if staffing's run time for a large hall: a 120-window hall's day (12 queues of 10
windows each, 6,720 citizens over 9 hours on the intraday curve of `hallq simulate`),
both plans played with the page's 20 replications (queue_core.planner.play), as
/manager/plan does in five requests per plan.

    .venv/bin/python benchmarks/plan_bench.py [--replications 20] [--runs 3]

Prints the seconds per run (the goal: under 10 s for both plans) and the figures."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hallq.simulate import _curve_fraction, _curve_fractions, curve_rate
from queue_core.planner import Demand, QueueDemand, play

QUEUES = 12
WINDOWS_PER_QUEUE = 10
HOURS = tuple(range(8, 17))
CITIZENS_PER_QUEUE = 560  # near what 10 windows serve in 9 hours at 4 to 11 minutes each


def large_hall() -> Demand:
    """Arrivals per hour on the simulator's intraday curve, CITIZENS_PER_QUEUE a queue."""
    from datetime import time as clock

    knots = _curve_fractions()
    weights = {hour: curve_rate(knots, _curve_fraction(clock(hour, 30))) for hour in HOURS}
    total = sum(weights.values())
    queues = tuple(
        QueueDemand(
            code=chr(ord("A") + n),
            name=f"队列{n + 1}",
            target_minutes=20,
            arrivals={hour: CITIZENS_PER_QUEUE * weights[hour] / total for hour in HOURS},
            handling=tuple(240 + (i * 37 + n * 11) % 420 for i in range(500)),  # 4 to 11 minutes
        )
        for n in range(QUEUES)
    )
    return Demand("bench", (), HOURS, queues)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    demand = large_hall()
    now = {q.code: dict.fromkeys(HOURS, WINDOWS_PER_QUEUE) for q in demand.queues}
    proposed = {
        code: {hour: n + (1 if hour in (9, 10, 15) else 0) for hour, n in plan.items()}
        for code, plan in now.items()
    }
    citizens = sum(sum(q.arrivals.values()) for q in demand.queues)
    print(
        f"{QUEUES * WINDOWS_PER_QUEUE} windows, {citizens:,.0f} citizens a day, {args.replications} replications a plan"
    )
    for run in range(1, args.runs + 1):
        started = time.perf_counter()
        figures = [play(demand, plan, args.replications, seed=run)["day"] for plan in (now, proposed)]
        seconds = time.perf_counter() - started
        print(f"run {run}: {seconds:.2f} s for both plans")
    for name, day in zip(("now", "proposed"), figures, strict=True):
        print(f"  {name:<9} mean wait {day['mean_wait']} min, p90 {day['p90_wait']} min, "
              f"service level {day['service_level']:.1%}, utilisation {day['utilisation']:.1%}")  # fmt: skip


if __name__ == "__main__":
    main()
