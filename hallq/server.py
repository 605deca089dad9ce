"""`hallq serve`: gunicorn with one worker process of many threads. One worker, because
Socket.IO needs every client of a process in that process (scale out with several
`hallq serve` processes and SOCKETIO_MESSAGE_QUEUE); threads, because the threading mode is
the maintained, compatible one. Each open board holds a thread, so size --threads for the
hall's screens plus its concurrent requests."""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from .sweeper import Sweeper


class HallqServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, make_app: Callable[[], Flask], options: dict[str, Any]) -> None:
        self.make_app = make_app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        # Built in the worker, after the fork: no database connection or printer crosses it.
        app = self.make_app()
        # Only the serving process watches the printers (a CLI command must not open them).
        app.extensions["hallq"].printing.start()
        # ...and ends the keypads' questions when their time is up.
        Sweeper(app.extensions["hallq"].db, app.extensions["hallq"].hall_code).start()
        # What exists now (the app, the catalogue, the libraries) lives as long as the process:
        # keep it out of the collector's full passes, which otherwise stall every request and
        # board for 150-250 ms at a time once hundreds of boards are connected.
        gc.collect()
        gc.freeze()
        # A full pass still walks every object made since (a connected board's socket,
        # threads and buffers: about 250 objects each) and holds the process for 50-150 ms.
        # Collecting the middle generation 5 times less often lets the objects of requests in
        # flight die young instead of piling into the old generation, whose growth is what
        # triggers a full pass: 4 full passes instead of 10 in a 500-citizen hall-day run.
        gc.set_threshold(700, 50, 10)
        return app


def run(make_app: Callable[[], Flask], host: str, port: int, threads: int, access_log: bool = False) -> None:
    HallqServer(
        make_app,
        {
            "bind": f"{host}:{port}",
            "workers": 1,
            "worker_class": "gthread",
            "threads": threads,
            "accesslog": "-" if access_log else None,
            # Every open board holds a request until it disconnects: waiting longer for them
            # only delays a restart (they reconnect by themselves); calls take milliseconds.
            "graceful_timeout": 3,
            "proc_name": "hallq",
            # gunicorn 27's control socket has one fixed path per user: several servers would clash.
            "control_socket_disable": True,
        },
    ).run()
