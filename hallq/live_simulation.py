"""`hallq simulate-live`: a stretch of a hall day played against running servers, in real
time compressed by ``speed``, through the hall's own interfaces, as its devices use them.

The citizens and clerks are those of `hallq simulate` (hallq/simulate.py): the same arrival
curve, queue and item choice, priorities, patience, no-shows and recalls, service times,
transfers, outcomes, pauses and keypad presses, drawn by the same functions. Only the way
they act differs: here every action is a request to the server's JSON API, made by the
device that makes it in a hall:

- **Kiosks** issue the tickets (``POST /api/v1/tickets`` with the kiosk's device token and a
  request id, as the kiosk page does), one citizen at a time each.
- **Clerks** sign in at their windows, call next, recall, start, finish with an outcome, mark
  no-shows (putting some back once), transfer, pause and resume, each window in its own
  thread with its clerk's token. An idle window waits until a ticket joins one of its queues.
  At the end they serve everyone still waiting (nobody's ticket is voided) and sign out.
- **Keypads** rate the service just finished (``POST /windows/<n>/evaluation``, the keypad's
  device token), within the keypad's time.
- **A guide** cancels the ticket of a citizen who gives up (the admin's token).
- **Screens** listen on Socket.IO's ``/hall`` with python-socketio's client: window boards,
  clerks' panels, keypads, hall boards, queue boards and managers' dashboards, spread over
  several processes. Each records when every ``ticket_called`` reached it.

It needs one token: an admin's. With it the driver reads the hall (windows, queues, items,
devices), creates its clerks ``sim-clerk<n>`` where missing, issues the tokens of those clerks
and of the kiosks and keypads, and revokes them at the end. Make one with the CLI::

    echo 'A-long-password-1' | hallq user add sim-admin --role admin --password-stdin
    hallq token issue sim-admin      # then: hallq simulate-live URL --token <it>

Several URLs (processes sharing one database and a Socket.IO message queue) share the
devices: window n's clerk and keypad use URL n mod k, kiosks and screens take turns.

Every answer that is not 2xx and every exception is counted as an error, and the first ones
are shown; nothing is retried. The server's clock is real, so its figures (waits, service
times) are the simulated ones divided by ``speed``.
"""

from __future__ import annotations

import multiprocessing
import random
import statistics
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import time as clock
from typing import Any

import engineio
import requests
import socketio

from hallq.live import NAMESPACE, rooms_for
from queue_core import evaluations
from queue_core.events import TicketCalled

from . import simulate as sim

ERROR_EXAMPLES = 10
# gunicorn drops a keep-alive connection idle for 2 s; a device idle for longer than this
# opens a new one rather than send a request down a connection that may be closing.
IDLE_SECONDS = 1.0
HALL_BOARDS = 20  # beyond these, extra screens are queue boards (one hall has a few big boards)
CLIENTS_PER_PROCESS = 125
# After the stretch the windows serve who still waits; for at most this long (simulated
# seconds), in case errors left tickets that nobody can finish.
DRAIN_LIMIT_SECONDS = 3600


# -- what a run did -------------------------------------------------------------------------


@dataclass
class Errors:
    """Every non-2xx answer and every exception, counted; the first ones kept whole."""

    count: int = 0
    examples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, message: str) -> None:
        with self.lock:
            self.count += 1
            if len(self.examples) < ERROR_EXAMPLES:
                self.examples.append(message)


@dataclass(frozen=True)
class Call:
    ticket_id: int
    window: int
    queue: str
    sent: float  # time.time() just before the request
    answered: float


@dataclass
class ScreenResults:
    """What the screens heard, put together from their processes."""

    kinds: Counter[str] = field(default_factory=Counter)
    rooms: dict[int, list[str]] = field(default_factory=dict)  # screen index -> rooms joined
    receipts: list[tuple[int, int, int, float]] = field(default_factory=list)  # screen, ticket, window, at
    messages: Counter[str] = field(default_factory=Counter)
    connect_seconds: float = 0.0
    cpu_seconds: float = 0.0  # of the screens' processes, all their life


@dataclass
class LiveReport:
    servers: list[str]
    windows: int
    speed: float
    stretch: tuple[clock, clock]
    expected_tickets: int
    counts: Counter[str] = field(default_factory=Counter)  # what was done, by name
    requests: Counter[str] = field(default_factory=Counter)  # requests made, by action
    errors: Errors = field(default_factory=Errors)
    issue_ms: list[float] = field(default_factory=list)
    call_ms: list[float] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    screens: ScreenResults = field(default_factory=ScreenResults)
    left_open: int = 0  # tickets neither served, absent nor cancelled when the run ended
    day: tuple[float, float] = (0.0, 0.0)  # time.monotonic() when the day began and ended
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, name: str, n: int = 1) -> None:
        with self.lock:
            self.counts[name] += n

    @property
    def seconds(self) -> float:
        return self.day[1] - self.day[0]

    def event_ms(self) -> tuple[list[float], int, int]:
        """ticket_called latencies at every screen the server's routing sends each call to, from
        just before the call-next request left to the screen's receipt; and the receipts
        missing and unexpected."""
        members: dict[str, list[int]] = defaultdict(list)
        for index, joined in self.screens.rooms.items():
            for room in set(joined):
                members[room.rsplit("/", 1)[-1]].append(index)
        heard: dict[tuple[int, int, int], list[float]] = defaultdict(list)
        for index, ticket_id, window, at in sorted(self.screens.receipts, key=lambda r: r[3]):
            heard[(index, ticket_id, window)].append(at)
        latencies, missing = [], 0
        now = datetime.now(UTC)
        for call in sorted(self.calls, key=lambda c: c.sent):
            event = TicketCalled(0, call.ticket_id, "", call.queue, "", call.window, "", False, now)
            routed = {room.rsplit("/", 1)[-1] for room in rooms_for(event)}  # without a hall's prefix
            for index in {i for room in routed for i in members.get(room, [])}:
                times = heard.get((index, call.ticket_id, call.window))
                if not times:
                    missing += 1
                    continue
                latencies.append((times.pop(0) - call.sent) * 1000)
        return latencies, missing, sum(len(t) for t in heard.values())

    def lines(self) -> list[str]:
        c, s = self.counts, self.screens
        start, end = self.stretch
        absent = c["no-shows"] - c["requeued"]
        accounted = c["served"] + absent + c["gave up"] + self.left_open
        out = [
            f"{len(self.servers)} server(s): {', '.join(self.servers)}; {self.windows} windows staffed; "
            f"{start:%H:%M}-{end:%H:%M} at {self.speed:g}x, about {self.expected_tickets} citizens expected",
            f"screens: {sum(s.kinds.values())} on {NAMESPACE} ("
            + ", ".join(f"{n} {kind}s" for kind, n in s.kinds.items())
            + f"), connected in {s.connect_seconds:.1f} s; their processes used {s.cpu_seconds:.1f} s of CPU",
            f"done in {self.seconds:.1f} s: {c['arrivals']} citizens, {c['issued']} tickets issued, "
            f"{c['served']} served, {c['no-shows']} no-shows ({c['requeued']} put back), "
            f"{c['transfers']} transfers, {c['gave up']} gave up, {self.left_open} left open; "
            f"{c['calls']} calls, {c['recalls']} recalls, {c['ratings']} ratings ({c['bad ratings']} bad), "
            f"{c['pauses']} pauses; {c['signed in']} windows signed in, {c['signed out']} signed out",
            f"tickets issued = served + absent + gave up + left open: {c['issued']} = {c['served']} + "
            f"{absent} + {c['gave up']} + {self.left_open} ({'holds' if accounted == c['issued'] else 'DOES NOT HOLD'})",
            "requests: " + ", ".join(f"{name} {n}" for name, n in self.requests.most_common()),
            f"errors: {self.errors.count}",
            *(f"  {example}" for example in self.errors.examples),
        ]
        latencies, missing, unexpected = self.event_ms()
        expected = len(latencies) + missing
        out += [
            f"ticket_called receipts: {expected} expected, {len(latencies)} received, {missing} missing, "
            f"{unexpected} unexpected",
            "messages the screens received: "
            + ", ".join(f"{name} {n}" for name, n in s.messages.most_common()),
            f"{'latency, ms':<46}{'count':>7}{'p50':>9}{'p99':>9}{'max':>9}",
            latency_row("ticket issued (kiosk's answer)", self.issue_ms),
            latency_row("call-next (clerk's answer)", self.call_ms),
            latency_row("ticket_called at screens, from call-next sent", latencies),
        ]
        return out


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


def latency_row(name: str, values: list[float]) -> str:
    if not values:
        return f"{name:<46}{0:>7}"
    return (
        f"{name:<46}{len(values):>7}{percentile(values, 50):>9.1f}{percentile(values, 99):>9.1f}"
        f"{max(values):>9.1f}"
    )


# -- talking to the server --------------------------------------------------------------------


class Device:
    """A device's HTTP client: its server, its token, its own keep-alive connection. Every
    answer that is not 2xx and every exception is an error of the run."""

    def __init__(self, report: LiveReport, url: str, token: str, name: str) -> None:
        self.report, self.url, self.name = report, url, name
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.used = 0.0

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        action: str,
        timed: list[float] | None = None,
    ) -> tuple[int, Any]:
        """(status, JSON answer or None); (0, None) when the request failed."""
        if time.monotonic() - self.used > IDLE_SECONDS:
            self.session.close()
        with self.report.lock:
            self.report.requests[action] += 1
        sent = time.perf_counter()
        try:
            answer = self.session.request(method, f"{self.url}/api/v1{path}", json=body, timeout=30)
        except requests.RequestException as exc:
            self.report.errors.add(f"{self.name}: {method} {path}: {exc.__class__.__name__}: {exc}")
            return 0, None
        finally:
            self.used = time.monotonic()
        if timed is not None:
            timed.append((time.perf_counter() - sent) * 1000)
        if not 200 <= answer.status_code < 300:
            self.report.errors.add(
                f"{self.name}: {method} {path} -> {answer.status_code} {answer.text[:300]}"
            )
            return answer.status_code, None
        return answer.status_code, answer.json() if answer.content else None

    def post(self, path: str, body: dict[str, Any] | None = None, **kw: Any) -> tuple[int, Any]:
        return self.request("POST", path, body, **kw)


@dataclass(frozen=True)
class HallView:
    """The hall as its server shows it to an admin."""

    windows: dict[int, list[str]]  # number -> queue codes, in the window's order
    queues: list[str]
    limited: set[str]  # queues that need the holder's ID number
    items: dict[str, list[int]]  # queue -> active item ids, by id
    kiosks: list[str]
    keypads: dict[int, str]  # window -> keypad id


def read_hall(admin: Device) -> HallView:
    def get(path: str) -> Any:
        status, body = admin.request("GET", path, action="set-up")
        if body is None:
            raise RuntimeError(f"GET {path} answered {status}: see the errors")
        return body

    windows = {w["number"]: w["queues"] for w in get("/windows") if w["queues"]}
    queues = get("/queues")
    items: dict[str, list[int]] = defaultdict(list)
    for item in sorted(get("/items?limit=200"), key=lambda i: i["id"]):
        items[item["queue"]].append(item["id"])
    devices = get("/devices")
    return HallView(
        windows=windows,
        queues=[q["code"] for q in queues],
        limited={q["code"] for q in queues if q["needs_id"]},
        items=dict(items),
        kiosks=[d["id"] for d in devices if d["kind"] == "kiosk"],
        keypads={d["window"]: d["id"] for d in devices if d["kind"] == "keypad"},
    )


@dataclass
class Tokens:
    """What the driver acts with: made with the admin's token, revoked at the end."""

    clerks: dict[int, str]  # window -> its clerk's token
    devices: dict[str, str]  # kiosk or keypad id -> token
    ids: list[int]  # of the tokens issued, to revoke


def issue_tokens(admin: Device, hall: HallView) -> Tokens:
    staff = admin.request("GET", "/staff", action="set-up")[1]
    if staff is None:
        raise RuntimeError("GET /staff failed: see the errors")
    existing = {s["username"] for s in staff}
    tokens = Tokens({}, {}, [])

    def issued(path: str) -> str:
        status, body = admin.post(path, action="set-up")
        if body is None:
            raise RuntimeError(f"POST {path} answered {status}: see the errors")
        tokens.ids.append(body["id"])
        return body["token"]

    for rank, number in enumerate(sorted(hall.windows), start=1):
        username = f"sim-clerk{rank}"
        if username not in existing:
            account = {
                "name": f"模拟办事员{rank}",
                "badge": f"S{rank:04d}",
                "role": "clerk",
                "password": f"Sim-{uuid.uuid4().hex}",  # nobody logs in as them (4 kinds of characters)
            }
            if admin.request("PUT", f"/staff/{username}", account, action="set-up")[1] is None:
                raise RuntimeError(f"could not create {username}: see the errors")
        tokens.clerks[number] = issued(f"/staff/{username}/tokens")
    for device in [*hall.kiosks, *(hall.keypads[n] for n in sorted(hall.windows) if n in hall.keypads)]:
        tokens.devices[device] = issued(f"/devices/{device}/tokens")
    return tokens


def id_number(bits: int) -> str:
    """A well-formed resident ID number (17 digits and its check digit) from random bits."""
    body = f"{bits % 10**17:017d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


# -- the screens ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScreenSpec:
    index: int
    kind: str  # window board, clerk panel, keypad, hall board, queue board, dashboard
    url: str
    subscriptions: list[dict[str, Any]]
    token: str | None = None


def screen_mix(
    total: int, hall: HallView, tokens: Tokens, admin_token: str, urls: list[str]
) -> list[ScreenSpec]:
    """`total` screens, the kinds a hall has in the order it needs them: a hall board and a
    dashboard; each window's board, keypad and clerk's panel; a board per queue; a second
    dashboard and up to HALL_BOARDS hall boards; then more queue boards, queue by queue."""

    def kinds() -> Iterator[tuple[str, list[dict[str, Any]], str | None]]:
        yield "hall board", [{"board": "hall"}], None
        yield "dashboard", [{"dashboard": True}], admin_token
        for number, queues in sorted(hall.windows.items()):
            yield "window board", [{"window": number}], None
            if number in hall.keypads:
                yield "keypad", [{"keypad": number}], tokens.devices[hall.keypads[number]]
            panel: list[dict[str, Any]] = [{"window": number}, *({"queue_load": q} for q in queues)]
            yield "clerk panel", panel, tokens.clerks[number]
        for queue in hall.queues:
            yield "queue board", [{"queue": queue}], None
        yield "dashboard", [{"dashboard": True}], admin_token
        for _ in range(HALL_BOARDS - 1):
            yield "hall board", [{"board": "hall"}], None
        while True:
            for queue in hall.queues:
                yield "queue board", [{"queue": queue}], None

    specs = []
    for index, (kind, subscriptions, token) in zip(range(total), kinds(), strict=False):
        specs.append(ScreenSpec(index, kind, urls[index % len(urls)], subscriptions, token))
    return specs


class _InlineEngineIO(engineio.Client):
    """Handles each message in the connection's reading thread, in order. engineio's client
    starts a thread for every message; hundreds of screens in one process would then mostly
    measure the starting of threads."""

    def _trigger_event(self, event: str, *args: Any, **kwargs: Any) -> Any:
        kwargs["run_async"] = False
        return super()._trigger_event(event, *args, **kwargs)


class _Screen(socketio.Client):
    def _engineio_client_class(self) -> type[engineio.Client]:
        return _InlineEngineIO


def run_screens(specs: list[ScreenSpec], control: Any) -> None:
    """A screens process: connects and subscribes its screens and reports their rooms, then
    records every first call (not recalls) and counts every message until told to stop, and
    sends back what it heard and what went wrong."""
    receipts: list[tuple[int, int, int, float]] = []
    messages: Counter[str] = Counter()
    errors: list[str] = []
    stopping = threading.Event()
    screens, rooms = [], {}
    for spec in specs:
        screen = _Screen(reconnection=False)

        def heard(event: str, data: Any, index: int = spec.index) -> None:
            if event == "ticket_called" and not data["recall"]:
                receipts.append((index, data["ticket_id"], data["window"], time.time()))
            messages[event] += 1

        def lost(reason: Any = None, spec: ScreenSpec = spec) -> None:
            if not stopping.is_set():
                errors.append(f"{spec.kind} {spec.index}: disconnected ({reason})")

        screen.on("*", heard, namespace=NAMESPACE)
        screen.on("disconnect", lost, namespace=NAMESPACE)
        try:
            screen.connect(
                spec.url,
                namespaces=[NAMESPACE],
                transports=["websocket"],
                auth={"token": spec.token} if spec.token else None,
                wait_timeout=30,
            )
            joined = []
            for subscription in spec.subscriptions:
                ack = screen.call("subscribe", subscription, namespace=NAMESPACE, timeout=30)
                if not ack.get("ok"):
                    raise RuntimeError(f"subscribe {subscription} refused: {ack.get('error')}")
                joined.append(ack["room"])
            rooms[spec.index] = joined
            screens.append(screen)
        except Exception as exc:  # noqa: BLE001 - every failure is reported as the run's error
            errors.append(f"{spec.kind} {spec.index}: {exc.__class__.__name__}: {exc}")
    control.send(rooms)
    control.recv()  # stop
    stopping.set()
    for screen in screens:
        screen.disconnect()
    control.send((receipts, messages, errors, time.process_time()))


@contextmanager
def screens_listening(specs: list[ScreenSpec], processes: int, report: LiveReport) -> Iterator[None]:
    """The screens connected and subscribed in `processes` processes for the body's time;
    then what they heard is in report.screens and their errors in report.errors."""
    report.screens.kinds = Counter(spec.kind for spec in specs)
    if not specs:
        yield
        return
    context = multiprocessing.get_context("spawn")  # the driver has threads: never fork it
    controls, started = [], []
    began = time.monotonic()
    try:
        for p in range(processes):
            mine, theirs = context.Pipe()
            process = context.Process(target=run_screens, args=(specs[p::processes], theirs), daemon=True)
            process.start()
            controls.append(mine)
            started.append(process)
        for control, process in zip(controls, started, strict=True):
            while not control.poll(1):
                if not process.is_alive():
                    raise RuntimeError("a screens process ended while connecting (see above)")
            report.screens.rooms |= control.recv()
        report.screens.connect_seconds = time.monotonic() - began
        yield
        for control in controls:
            control.send("stop")
        for control in controls:
            receipts, messages, errors, cpu = control.recv()
            report.screens.cpu_seconds += cpu
            report.screens.receipts += receipts
            report.screens.messages += messages
            for error in errors:
                report.errors.add(error)
    finally:
        for process in started:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()


# -- the hall at work -------------------------------------------------------------------------


class _Gate:
    """Call-next requests pass together; a guide's cancel passes alone. A citizen gives up
    only while waiting, and a call in flight may be taking that very ticket: the server would
    rightly refuse the cancel, so the two never travel at once."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._calls = 0
        self._cancels = 0  # waiting or passing: calls give way to them

    @contextmanager
    def call(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._cancels)
            self._calls += 1
        try:
            yield
        finally:
            with self._cond:
                self._calls -= 1
                self._cond.notify_all()

    @contextmanager
    def cancel(self) -> Iterator[None]:
        with self._cond:
            self._cancels += 1
            self._cond.wait_for(lambda: not self._calls)
        try:
            yield
        finally:
            with self._cond:
                self._cancels -= 1
                self._cond.notify_all()


@dataclass
class _Desk:
    number: int
    queues: list[str]
    clerk: Device
    keypad: Device | None
    rng: random.Random
    pause: sim.Pause | None
    wake: threading.Event = field(default_factory=threading.Event)
    idle: bool = False
    claim: str = ""  # the queue whose waiting ticket its call-next counts on


@dataclass
class _Ticket:
    id: int
    queue: str
    waiting: bool = True
    requeues: int = 0
    transfers: int = 0


class LiveDay:
    """One run: its kiosks, windows, keypads and guide, each acting on the server in real
    time, and what they share (who waits where, which tickets are still open)."""

    def __init__(
        self,
        report: LiveReport,
        hall: HallView,
        tokens: Tokens,
        admin: Device,
        *,
        seed: int,
        requeue: bool,
        presses: dict[int | None, float],
        reasons: list[str],
        keypad_seconds: int,
    ) -> None:
        self.report, self.hall, self.admin = report, hall, admin
        self.seed, self.requeue, self.presses = seed, requeue, presses
        self.reasons, self.keypad_seconds = reasons, keypad_seconds
        self.speed = report.speed
        start, end = report.stretch
        self.span = (end.hour * 60 + end.minute - start.hour * 60 - start.minute) * 60
        self.lock = threading.Lock()
        self.gate = _Gate()
        self.tickets: dict[int, _Ticket] = {}
        self.waiting: Counter[str] = Counter()
        self.open = 0
        self.arriving = True
        self.done = threading.Event()
        self.ratings: list[threading.Timer] = []
        self.give_ups: list[threading.Timer] = []
        urls = report.servers
        day_opens, day_closes = (t.hour * 3600 + t.minute * 60 for t in sim.DEFAULT_HOURS)
        offset = start.hour * 3600 + start.minute * 60
        pauses = random.Random(f"{seed}:live:pauses")
        self.desks: dict[int, _Desk] = {}
        for number, queues in sorted(hall.windows.items()):
            url = urls[number % len(urls)]
            pause = sim.draw_pause(pauses, day_opens, day_closes, sim.P_PAUSE)
            keypad = hall.keypads.get(number)
            self.desks[number] = _Desk(
                number,
                queues,
                Device(report, url, tokens.clerks[number], f"window {number}"),
                Device(report, url, tokens.devices[keypad], f"keypad {keypad}") if keypad else None,
                random.Random(f"{seed}:live:window:{number}"),
                # Only the pauses of the day that fall in the stretch, on its clock.
                sim.Pause(pause.at - offset, pause.reason, pause.seconds)
                if pause and 0 <= pause.at - offset < self.span
                else None,
            )
        self.serving: dict[str, list[_Desk]] = defaultdict(list)
        for desk in self.desks.values():
            for queue in desk.queues:
                self.serving[queue].append(desk)
        shares = sim.window_shares([(q, None) for q in queues] for queues in hall.windows.values())
        self.queue_codes = sorted(shares)
        self.weights = [sim.arrival_weight(seed, q, shares[q]) for q in self.queue_codes]
        self.kiosks = {
            kiosk: Device(report, urls[i % len(urls)], tokens.devices[kiosk], f"kiosk {kiosk}")
            for i, kiosk in enumerate(hall.kiosks)
        }

    # -- the clock: seconds of the stretch, played `speed` times faster --

    def _sleep_until(self, at: float) -> None:
        time.sleep(max(0.0, self.began + at / self.speed - time.monotonic()))

    def _sleep(self, seconds: float) -> None:
        time.sleep(seconds / self.speed)

    def _now(self) -> float:
        return (time.monotonic() - self.began) * self.speed

    # -- the run --

    def run(self) -> None:
        rng = random.Random(f"{self.seed}:live:arrivals")
        plan = sim.stretch_curve(*self.report.stretch)
        arrivals: dict[str, list[tuple[int, sim.Citizen, int | None]]] = defaultdict(list)
        for at in sim.arrival_times(rng, plan, 0, self.span, self.report.expected_tickets):
            citizen = sim.draw_citizen(
                rng, self.queue_codes, self.weights, self.hall.items, self.hall.limited, self.hall.kiosks
            )
            arrivals[citizen.kiosk or ""].append((at, citizen, sim.draw_patience(rng)))
        if "" in arrivals:
            raise RuntimeError("the hall has no kiosk to issue tickets")
        self.began = time.monotonic()
        kiosks = [
            threading.Thread(target=self._kiosk, args=(self.kiosks[k], arrivals[k]), name=f"kiosk {k}")
            for k in self.kiosks
        ]
        windows = [
            threading.Thread(target=self._window, args=(d,), name=f"window {d.number}")
            for d in self.desks.values()
        ]
        for thread in kiosks + windows:
            thread.start()
        for thread in kiosks:
            thread.join()
        with self.lock:
            self.arriving = False
            self._check_done()
        for thread in windows:
            thread.join()
        for timer in self.give_ups:
            timer.cancel()  # nobody waits any more
        for timer in self.ratings:
            timer.join()
        self.report.left_open = self.open
        self.report.day = (self.began, time.monotonic())

    def _check_done(self) -> None:
        """With the lock held: once nobody arrives any more and no ticket is open, the windows
        sign out."""
        if not self.arriving and self.open == 0 and not self.done.is_set():
            self.done.set()
            for desk in self.desks.values():
                desk.wake.set()

    def _later(
        self, timers: list[threading.Timer], seconds: float, action: Callable[..., None], *args: Any
    ) -> None:
        timer = threading.Timer(seconds / self.speed, action, args)
        timer.daemon = True
        with self.lock:
            timers.append(timer)
        timer.start()

    def _over(self) -> bool:
        return self.done.is_set() or self._now() > self.span + DRAIN_LIMIT_SECONDS

    # -- citizens at the kiosks --

    def _kiosk(self, kiosk: Device, arrivals: list[tuple[int, sim.Citizen, int | None]]) -> None:
        for at, citizen, patience in arrivals:
            self._sleep_until(at)
            self.report.count("arrivals")
            body: dict[str, Any] = {"request_id": uuid.uuid4().hex}
            body |= {"item_id": citizen.item} if citizen.item else {"queue": citizen.queue}
            if citizen.priority:
                body["priority"] = str(citizen.priority)
            if citizen.holder is not None:
                body["id_number"] = id_number(citizen.holder)
            ticket = kiosk.post("/tickets", body, action="issue", timed=self.report.issue_ms)[1]
            if ticket is None:
                continue
            self.report.count("issued")
            with self.lock:
                # Through another server a window may have called it before this answer came.
                self.tickets.setdefault(ticket["id"], _Ticket(ticket["id"], ticket["queue"]))
                self.open += 1
                self._joined(ticket["queue"])
            if patience is not None:
                self._later(self.give_ups, patience, self._give_up, ticket["id"])

    def _joined(self, queue: str) -> None:
        """With the lock held: a ticket joined a line; the first idle window serving it notices."""
        self.waiting[queue] += 1
        for desk in self.serving[queue]:
            if desk.idle:
                desk.idle = False
                desk.wake.set()
                return

    def _give_up(self, ticket_id: int) -> None:
        with self.gate.cancel():
            with self.lock:
                ticket = self.tickets[ticket_id]
                if not ticket.waiting:
                    return
            if self.admin.post(f"/tickets/{ticket_id}/cancel", action="cancel")[1] is None:
                return
            with self.lock:
                ticket.waiting = False
                self.waiting[ticket.queue] -= 1
                self.open -= 1
                self.report.count("gave up")
                self._check_done()

    # -- clerks at the windows --

    def _window(self, desk: _Desk) -> None:
        n, clerk, rng = desk.number, desk.clerk, desk.rng
        if clerk.post(f"/windows/{n}/sign-in", action="sign-in")[1] is None:
            return
        self.report.count("signed in")
        self._sleep(rng.randint(*sim.FIRST_CALL_SECONDS))
        while True:
            pause = desk.pause
            if pause is not None and self._now() >= pause.at:
                desk.pause = None
                self._pause(desk, pause)
                continue
            work = self._work_for(desk)
            if work == "over":
                break
            if work == "pause":
                continue
            ticket = self._call_next(desk)
            if ticket is not None:
                self._serve(desk, ticket)
            # The next call after a citizen leaves; after an empty call-next too, where
            # another window took the ticket first.
            self._sleep(rng.randint(*sim.NEXT_CALL_SECONDS))
        if clerk.post(f"/windows/{n}/sign-out", action="sign-out")[1] is not None:
            self.report.count("signed out")

    def _work_for(self, desk: _Desk) -> str:
        """ "work" when a ticket waits in one of the window's queues; else the window is idle
        until one joins (it notices a little later), and says "pause" when its pause is due
        first, "over" when the day is."""
        while True:
            with self.lock:
                if self._over():
                    return "over"
                claim = next((q for q in desk.queues if self.waiting[q] > 0), None)
                if claim is not None:
                    # Counted as taken until the answer says which ticket came, so that two
                    # windows do not both call for the one ticket waiting.
                    self.waiting[claim] -= 1
                    desk.idle, desk.claim = False, claim
                    return "work"
                desk.idle = True
                desk.wake.clear()
            until = self.span + DRAIN_LIMIT_SECONDS if desk.pause is None else desk.pause.at
            woken = desk.wake.wait(max(0.0, (until - self._now()) / self.speed))
            with self.lock:
                desk.idle = False
            if not woken:
                return "pause" if desk.pause is not None else "over"
            if not self.done.is_set():
                self._sleep(desk.rng.randint(*sim.NOTICE_SECONDS))

    def _pause(self, desk: _Desk, pause: sim.Pause) -> None:
        if (
            desk.clerk.post(f"/windows/{desk.number}/pause", {"reason": pause.reason}, action="pause")[1]
            is None
        ):
            return
        self.report.count("pauses")
        self._sleep(pause.seconds)
        desk.clerk.post(f"/windows/{desk.number}/resume", action="resume")

    def _call_next(self, desk: _Desk) -> _Ticket | None:
        with self.gate.call():
            sent = time.time()
            status, answer = desk.clerk.post(
                f"/windows/{desk.number}/call-next", action="call-next", timed=self.report.call_ms
            )
            answered = time.time()
            with self.lock:
                self.waiting[desk.claim] += 1
                if answer is not None:
                    called = answer["ticket"]
                    ticket = self.tickets.setdefault(called["id"], _Ticket(called["id"], called["queue"]))
                    ticket.waiting = False
                    self.waiting[ticket.queue] -= 1
            if answer is None:
                if status == 204:
                    self.report.count("call-next found nobody")
                return None
        self.report.count("calls")
        self.report.calls.append(Call(ticket.id, desk.number, ticket.queue, sent, answered))
        return ticket

    def _serve(self, desk: _Desk, ticket: _Ticket) -> None:
        n, clerk, rng = desk.number, desk.clerk, desk.rng
        plan = sim.draw_call(rng)
        if plan.start_after is None:
            waited = 0
            if plan.recall_after is not None:
                self._sleep(plan.recall_after)
                waited = plan.recall_after
                if clerk.post(f"/windows/{n}/recall", action="recall")[1] is not None:
                    self.report.count("recalls")
            self._sleep((plan.no_show_after or 0) - waited)
            requeue = sim.draw_requeue(rng, self.requeue and ticket.requeues == 0)
            if clerk.post(f"/windows/{n}/no-show", {"requeue": requeue}, action="no-show")[1] is None:
                return
            self.report.count("no-shows")
            with self.lock:
                if requeue:
                    self.report.count("requeued")
                    ticket.requeues += 1
                    ticket.waiting = True
                    self._joined(ticket.queue)
                else:
                    self.open -= 1
                    self._check_done()
            return
        self._sleep(plan.start_after)
        clerk.post(f"/windows/{n}/start", action="start")
        others = [q for q in self.queue_codes if q != ticket.queue]
        median = sim.handle_median_minutes(self.seed, ticket.queue) * 60
        service = sim.draw_service(rng, median, others, ticket.transfers == 0)
        self._sleep(service.seconds)
        if service.transfer_to is not None:
            note = {"queue": service.transfer_to, "note": f"请到{service.transfer_to}队列办理"}
            if clerk.post(f"/windows/{n}/transfer", note, action="transfer")[1] is None:
                return
            self.report.count("transfers")
            with self.lock:
                ticket.transfers += 1
                ticket.queue = service.transfer_to
                ticket.waiting = True
                self._joined(ticket.queue)
            return
        outcome, rating = sim.draw_finish(rng, self.presses, self.reasons, self.keypad_seconds)
        if clerk.post(f"/windows/{n}/finish", {"outcome": str(outcome)}, action="finish")[1] is None:
            return
        self.report.count("served")
        with self.lock:
            self.open -= 1
            self._check_done()
        if rating is not None and desk.keypad is not None:
            self._later(self.ratings, rating.after, self._rate, desk, rating)

    def _rate(self, desk: _Desk, rating: sim.Rating) -> None:
        assert desk.keypad is not None
        body = {"score": rating.score, "reasons": rating.reasons, "comment": rating.comment}
        if desk.keypad.post(f"/windows/{desk.number}/evaluation", body, action="rate")[1] is None:
            return
        self.report.count("ratings")
        self.report.count("bad ratings", rating.score in evaluations.BAD_LEVELS)


def parse_stretch(text: str) -> tuple[clock, clock]:
    """HH:MM-HH:MM, "peak" (the busiest hour of the arrival curve) or "day" (08:30-17:30)."""
    if text == "peak":
        return sim.peak_hour()
    if text == "day":
        return sim.DEFAULT_HOURS
    start, end = (clock.fromisoformat(part) for part in text.split("-"))
    if not sim.DEFAULT_HOURS[0] <= start < end <= sim.DEFAULT_HOURS[1]:
        raise ValueError("the stretch lies within 08:30-17:30, its start before its end")
    return start, end


def simulate_live(
    urls: list[str],
    admin_token: str,
    *,
    tickets: int,
    stretch: tuple[clock, clock],
    speed: float = 10.0,
    clients: int = 0,
    client_processes: int | None = None,
    seed: int = 1,
    requeue: bool = True,
    keypad_seconds: int = 60,
    reasons: list[str] | None = None,
) -> LiveReport:
    """Play `tickets` citizens over `stretch` of a day against the servers at `urls`, with
    `clients` screens listening; see the module's doc. `reasons`: the bad-rating reasons the
    keypads offer (the hall's list; by default the evaluation settings' defaults)."""
    from queue_core.spec import EvaluationSpec

    evaluation = EvaluationSpec()
    report = LiveReport(servers=urls, windows=0, speed=speed, stretch=stretch, expected_tickets=tickets)
    admin = Device(report, urls[0], admin_token, "admin")
    hall = read_hall(admin)
    report.windows = len(hall.windows)
    tokens = issue_tokens(admin, hall)
    try:
        day = LiveDay(
            report,
            hall,
            tokens,
            admin,
            seed=seed,
            requeue=requeue,
            presses=sim.PRESSES,
            reasons=reasons or list(evaluation.reasons),
            keypad_seconds=keypad_seconds,
        )
        specs = screen_mix(clients, hall, tokens, admin_token, urls)
        processes = client_processes or max(1, min(4, -(-clients // CLIENTS_PER_PROCESS)))
        with screens_listening(specs, processes, report):
            day.run()
            time.sleep(1)  # the last calls' messages on their way to the screens
    finally:
        for token_id in tokens.ids:
            admin.request("DELETE", f"/tokens/{token_id}", action="set-up")
    return report
