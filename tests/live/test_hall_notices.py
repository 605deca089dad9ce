"""A notice a manager posts reaches the hall boards at once, and a board that connects later
finds it in its state; a withdrawn one is gone."""

from __future__ import annotations

from tests.live.test_socketio import Board


def test_a_posted_notice_reaches_hall_boards_and_is_in_a_new_boards_state(live):
    board = Board(live.url, {"board": "hall"})
    try:
        posted = live.api(
            "POST", "/notices", "manager", json={"title": "温馨提示", "text": "今日16:00后停止取号"}
        )
        assert posted.status_code == 201
        heard = board.next("notice")
        assert heard == {**posted.json(), "withdrawn": False}

        later = Board(live.url, {"board": "hall"})
        assert later.ack["state"]["notices"][0] == heard
        later.close()

        live.api("DELETE", f"/notices/{heard['id']}", "manager")
        assert board.next("notice") == {**heard, "withdrawn": True}
        newest = Board(live.url, {"board": "hall"})
        assert heard["id"] not in [n["id"] for n in newest.ack["state"]["notices"]]
        newest.close()
    finally:
        board.close()
