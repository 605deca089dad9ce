"""The agent: its configuration from the server, a printer_driver station per kiosk whose
printers are on this PC, the print jobs pushed to it, and the keypads and LED line."""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any

import socketio

from printer_driver import (
    JobReport,
    Printer,
    PrinterSettings,
    PrintJob,
    Rendered,
    RetryPolicy,
    Station,
)

from .server_api import Refused, ServerApi, Unreachable

log = logging.getLogger("hallq.agent")

NAMESPACE = "/hall"
CONFIG_SECONDS = 30.0  # between readings of its configuration: hall.toml changes reach it
RETRY_SECONDS = 1.0  # first pause before asking an unreachable server again; doubles to BACKOFF_MAX
# Short: once the line is back, the kiosk's tickets print within seconds. One agent per hall PC
# asking every few seconds costs the server nothing.
BACKOFF_MAX = 5.0


class Agent:
    def __init__(
        self, server: str, token: str, *, version: str = "", policy: RetryPolicy | None = None
    ) -> None:
        self.server = server.rstrip("/")
        self.api = ServerApi(server, token)
        self.token = token
        self.version = version
        self.policy = policy
        self.id = ""
        self.config: dict[str, Any] | None = None
        self.stations: dict[str, Station] = {}  # kiosk → its printers on this PC
        self.printers: dict[str, Printer] = {}  # name → printer
        self._names: dict[int, str] = {}  # id(settings) → printer name: a station renders by settings
        self._jobs: queue.Queue[int | None] = queue.Queue()
        self._taken: set[int] = set()  # jobs claimed in this run: a push and a listing may both name one
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._reporting = threading.Lock()
        self._sidecars: list[tuple[threading.Event, threading.Thread]] = []
        # python-socketio reconnects by itself, with backoff and jitter, after a cut or a restart.
        self.client = socketio.Client(
            reconnection=True, reconnection_delay=RETRY_SECONDS, reconnection_delay_max=BACKOFF_MAX
        )
        self.client.on("connect", self._connected, namespace=NAMESPACE)
        self.client.on("disconnect", self._disconnected, namespace=NAMESPACE)
        self.client.on("print_job", self._pushed, namespace=NAMESPACE)

    # -- running ---------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Until `stop` is set: configured, connected, printing."""
        self._stop = stop
        self._configure_until_reached()
        if stop.is_set():
            return
        worker = threading.Thread(target=self._take_jobs, name="agent-jobs", daemon=True)
        worker.start()
        connection = threading.Thread(target=self._stay_connected, name="agent-socketio", daemon=True)
        connection.start()
        while not stop.wait(CONFIG_SECONDS):
            try:
                self._configure()
            except (Unreachable, Refused) as exc:
                log.warning("cannot read the configuration: %s", exc)
        self._jobs.put(None)
        if self.client.connected:
            self.client.disconnect()
        worker.join(5)
        self._close()
        log.info("stopped")

    def _configure_until_reached(self) -> None:
        pause = RETRY_SECONDS
        while not self._stop.is_set():
            try:
                self._configure()
                return
            except Unreachable as exc:
                log.warning("cannot reach %s (%s): trying again in %g s", self.server, exc, pause)
            except Refused as exc:
                log.error("the server refuses this agent (%s): is its token right?", exc)
            self._stop.wait(pause)
            pause = min(pause * 2, BACKOFF_MAX)

    def _stay_connected(self) -> None:
        pause = RETRY_SECONDS
        while not self._stop.is_set():
            try:
                self.client.connect(
                    self.server,
                    namespaces=[NAMESPACE],
                    transports=["websocket"],
                    auth={"token": self.token},
                    wait_timeout=10,
                )
            except socketio.exceptions.ConnectionError as exc:
                log.warning("cannot connect to %s: %s; trying again in %g s", self.server, exc, pause)
                self._stop.wait(pause)
                pause = min(pause * 2, BACKOFF_MAX)
                continue
            pause = RETRY_SECONDS
            self.client.wait()  # returns once it gave up reconnecting, or on disconnect()

    # -- configuration ---------------------------------------------------------------------

    def _configure(self) -> None:
        config = self.api.get("/agents/me")
        if config == self.config:
            return
        log.info("configuration %s: %s", "changed" if self.config else "read", _summary(config))
        with self._lock:
            self._close()
            self.id, self.config = config["id"], config
            for kiosk in config["kiosks"]:
                printers = []
                for described in kiosk["printers"]:
                    settings = PrinterSettings.model_validate(described["settings"])
                    printer = self.printers.setdefault(
                        described["name"], Printer(described["name"], settings)
                    )
                    self._names[id(printer.settings)] = printer.name
                    printers.append(printer)
                self.stations[kiosk["kiosk"]] = Station(kiosk["kiosk"], printers, self, self.policy)
            self._start_sidecars(config)
        self._report()

    def _start_sidecars(self, config: dict[str, Any]) -> None:
        """The LED line and the physical keypads, each in a thread of its own (their code is
        imported only on a PC that has them)."""
        runners: list[Any] = []
        if config.get("led"):
            from hall_display.led_bridge import LedBridge
            from queue_core.spec import LedSpec

            runners.append(LedBridge(LedSpec.model_validate(config["led"]), self.server))
        for keypad in config.get("keypads", []):
            from evaluation.keypad_bridge import KeypadBridge
            from queue_core.spec import KeypadSpec

            runners.append(KeypadBridge(KeypadSpec.model_validate(keypad), self.server, self.token))
        for runner in runners:
            stop = threading.Event()
            thread = threading.Thread(
                target=runner.run, args=(stop,), daemon=True, name=type(runner).__name__
            )
            thread.start()
            self._sidecars.append((stop, thread))

    def _close(self) -> None:
        for station in self.stations.values():
            station.stop()
        for stop, thread in self._sidecars:
            stop.set()
            thread.join(5)
        self.stations, self.printers, self._names, self._sidecars = {}, {}, {}, []

    # -- the socket (python-socketio's thread) -----------------------------------------------

    def _connected(self) -> None:
        log.info("connected to %s", self.server)
        self.client.emit("subscribe", {"agent": self.id}, namespace=NAMESPACE, callback=self._subscribed)

    def _disconnected(self, reason: Any = None) -> None:
        log.warning("disconnected from %s (%s): reconnecting", self.server, reason)

    def _subscribed(self, ack: dict[str, Any]) -> None:
        if not ack.get("ok"):
            log.error("the server refused the agent's subscription: %s", ack.get("error"))
            return
        for job in ack["state"]["jobs"]:
            self._jobs.put(job)
        threading.Thread(target=self._report, daemon=True).start()  # its printers, as they are now

    def _pushed(self, job: dict[str, Any]) -> None:
        self._jobs.put(job["job_id"])

    # -- print jobs -----------------------------------------------------------------------------

    def _take_jobs(self) -> None:
        while (job_id := self._jobs.get()) is not None:
            if job_id in self._taken:
                continue
            try:
                self._take(job_id)
            except Unreachable as exc:  # listed again when the socket is back
                log.warning("could not claim print job %s: %s", job_id, exc)
            except Refused as exc:
                log.info("print job %s is not for this agent now: %s", job_id, exc)
            except Exception:  # one job's bug must not stop the others
                log.exception("print job %s failed", job_id)

    def _take(self, job_id: int) -> None:
        claim = self.api.post(f"/print-jobs/{job_id}/claim")
        self._taken.add(job_id)
        if claim["abandoned"]:
            log.info("%s abandoned: too late, the citizen has gone", claim["label"])
            return
        log.info(
            "%s (job %s): claimed%s",
            claim["label"],
            job_id,
            ", printed again marked 重打" if claim["reprint"] else "",
        )
        with self._lock:
            station = self.stations.get(claim["kiosk"])
        if station is None:
            self._result(
                job_id, {"status": "failed", "printer": claim["printer"], "error": "no printer on this PC"}
            )
            return
        station.submit(PrintJob(job_id, claim["label"], self._renderer(job_id), reprint=claim["reprint"]))

    def _renderer(self, job_id: int) -> Any:
        names = self._names  # this configuration's: a new one makes new printers

        def render(settings: PrinterSettings, reprint: bool) -> Rendered:
            printer = names[id(settings)]
            data = self._retrying(
                lambda: self.api.call(
                    "GET",
                    f"/print-jobs/{job_id}/document",
                    query={"printer": printer, "reprint": int(reprint)},
                )
            )
            return Rendered(data)

        return render

    # -- printer_driver's PrintListener (the stations' threads) -------------------------------

    def job_done(self, report: JobReport) -> None:
        log.info(
            "job %s: %s on %s%s",
            report.job_id,
            report.result.value,
            report.printer,
            f" ({report.error})" if report.error else "",
        )
        body = {
            "status": report.result.value,
            "printer": report.printer,
            "url": report.url,
            "bytes": report.bytes,
            "reprinted": report.reprinted,
            "error": (report.error or "")[:2000],
            "problems": report.problems[:50],
        }
        self._result(report.job_id, body)

    def status_changed(self, printer: Printer) -> None:
        threading.Thread(target=self._report, daemon=True).start()  # not in the station's thread

    def _result(self, job_id: int, body: dict[str, Any]) -> None:
        """Reported until the server has it: a job the server does not hear of stays claimed,
        and would be printed again (marked) after a restart."""
        try:
            self._retrying(lambda: self.api.post(f"/print-jobs/{job_id}/result", body))
        except Refused as exc:
            log.warning("the server did not take the result of print job %s: %s", job_id, exc)

    def _report(self) -> None:
        """Every printer's state now. One report at a time, each read when its turn comes: an
        older state never arrives after a newer one."""
        with self._reporting:
            with self._lock:
                printers = {
                    name: {"status": str(p.status), "error": (p.error or None) and p.error[:300]}
                    for name, p in self.printers.items()
                }
            try:
                self.api.post("/agents/me/state", {"version": self.version, "printers": printers})
            except (Unreachable, Refused) as exc:
                log.warning("could not report the printers' state: %s", exc)

    def _retrying(self, call: Any) -> Any:
        pause = RETRY_SECONDS
        while True:
            try:
                return call()
            except Unreachable as exc:
                if self._stop.is_set():
                    raise
                log.warning("%s; trying again in %g s", exc, pause)
                time.sleep(pause)
                pause = min(pause * 2, BACKOFF_MAX)


def _summary(config: dict[str, Any]) -> str:
    printers = [p["name"] for k in config["kiosks"] for p in k["printers"]]
    parts = [f"printers {', '.join(printers) or 'none'}"]
    parts += [f"keypad {k['id']}" for k in config.get("keypads", [])]
    parts += ["the LED line"] if config.get("led") else []
    return "; ".join(parts)
