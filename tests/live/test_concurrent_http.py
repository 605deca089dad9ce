"""Many kiosks at once, over HTTP, against the real server."""

from concurrent.futures import ThreadPoolExecutor

import requests


def test_500_concurrent_ticket_requests_get_500_distinct_numbers(live):
    queues = "EFGH"  # queues no other live test uses, so each must count from 001
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
        assert sorted(n for n in numbers if n[0] == queue) == [f"{queue}{i:03d}" for i in range(1, 126)]
