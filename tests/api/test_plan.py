"""What-if staffing through /api/v1/plan: today's demand from today's tickets, the plan now
from the windows × queues grid, and a plan played on that demand; more windows wait less."""

from __future__ import annotations


def a_morning(api, clock) -> None:
    """Thirty citizens for queue B over an hour; five served at window 3, six minutes each."""
    api.post("/windows/3/sign-in", "clerk3")
    for _ in range(30):
        assert api.post("/tickets", "device:K1", {"queue": "B"}).status_code == 201
        clock.advance(minutes=2)
    for _ in range(5):
        for step in ("call-next", "start"):
            assert api.post(f"/windows/3/{step}", "clerk3").status_code == 200
        clock.advance(minutes=6)
        assert api.post("/windows/3/finish", "clerk3", {"outcome": "completed"}).status_code == 200


def test_more_windows_wait_less_on_the_same_demand(api, clock):
    a_morning(api, clock)
    demand = api.get("/plan/demand?day_type=today", "manager").get_json()
    [queue_b] = [q for q in demand["queues"] if q["code"] == "B"]
    assert sum(queue_b["arrivals"].values()) == 30 and queue_b["handled"] == 5
    assert demand["hours"] and demand["days"] == [clock.now().date().isoformat()]
    assert set(demand["current"]["B"]) == {str(h) for h in demand["hours"]}  # the grid's windows, every hour

    def play(windows: float) -> dict:
        plan = {"B": {hour: windows for hour in demand["hours"]}}
        answer = api.post("/plan/play", "manager", {"day_type": "today", "plan": plan, "replications": 10})
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()["day"]

    one, three = play(1), play(3)
    assert one["citizens"] == three["citizens"] > 0  # the same seeded arrivals
    assert three["mean_wait"] < one["mean_wait"] and three["p90_wait"] <= one["p90_wait"]
    assert three["service_level"] >= one["service_level"] and three["utilisation"] < one["utilisation"]


def test_a_plan_out_of_bounds_or_from_a_clerk_is_refused(api):
    bad = api.post("/plan/play", "manager", {"plan": {"B": {"25": 1}}})
    assert bad.status_code == 422
    assert api.post("/plan/play", "manager", {"plan": {"B": {"9": 500}}}).status_code == 422
    assert api.post("/plan/play", "clerk3", {"plan": {"B": {"9": 1}}}).status_code == 403
    assert api.get("/plan/demand?day_type=someday", "manager").status_code == 422
