"""Many kiosks at once, over HTTP, against the real server."""

from concurrent.futures import ThreadPoolExecutor

import requests


def test_500_concurrent_ticket_requests_get_500_distinct_numbers(live):
    queues = "EFGH"
    headers = {"Authorization": f"Bearer {live.tokens['K1']}"}

    def take(i: int) -> tuple[int, str]:
        with requests.Session() as session:
            response = session.post(
                f"{live.url}/api/v1/tickets", json={"queue": queues[i % 4]}, headers=headers, timeout=30
            )
            return response.status_code, response.json()["number"]

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(take, range(500)))

    assert {status for status, _ in results} == {201}
    numbers = [number for _, number in results]
    assert len(set(numbers)) == 500
    for queue in queues:
        # Consecutive, with no gap and no repeat (other tests of this hall may have numbered before).
        taken = sorted(int(n[1:]) for n in numbers if n[0] == queue)
        assert taken == list(range(taken[0], taken[0] + 125))
