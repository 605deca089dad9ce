// The managers' live dashboard: one /hall subscription ({"dashboard": true}, with the login
// session), the acknowledged state drawn once, then every event applied as it comes. Nothing
// is polled: a timer only redraws the waits as time passes. Vanilla JS, no build step.
(() => {
  "use strict";

  const setup = JSON.parse(document.getElementById("dashboard-setup").textContent);
  const S = setup.strings;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const root = document.querySelector(".dashboard");
  const $ = (selector) => root.querySelector(selector);
  const SLOT_MS = 15 * 60 * 1000;
  const clockFormat = new Intl.DateTimeFormat(setup.language, {
    hour: "2-digit", minute: "2-digit", hour12: false, timeZone: setup.timezone,
  });

  let model = null;
  let skew = 0; // server clock − this browser's clock, from the state's "now"
  let flowChart = null;
  let waitingChart = null;

  function format(text, values = {}) {
    return text.replace(/%\((\w+)\)s/g, (_m, name) => String(values[name] ?? S.none));
  }
  const now = () => Date.now() + skew;
  const hhmm = (iso) => (iso ? clockFormat.format(new Date(iso)) : S.none);

  function duration(ms) {
    const minutes = Math.max(0, Math.floor(ms / 60000));
    if (minutes < 60) return format(S.minutes, { n: minutes });
    return format(S.hours_minutes, { h: Math.floor(minutes / 60), m: minutes % 60 });
  }

  function cell(row, testid, text, className = "") {
    const td = document.createElement("td");
    if (testid) td.dataset.testid = testid;
    if (className) td.className = className;
    td.textContent = text;
    row.append(td);
    return td;
  }

  // -- the model -----------------------------------------------------------------------------

  function load(state) {
    skew = Date.parse(state.now) - Date.now();
    model = {
      queues: new Map(state.queues.map((q) => [q.queue, q])),
      windows: new Map(state.windows.map((w) => [w.number, w])),
      totals: state.totals,
      waitingSince: new Map(Object.entries(state.waiting_since).map(([id, at]) => [Number(id), at])),
      alarms: new Map(state.alarms.map((a) => [a.id, a])),
      advice: state.advice,
      charts: state.charts,
    };
    drawAll();
    drawCharts();
  }

  function openWindows(code) {
    const queue = model.queues.get(code);
    return queue.windows.filter((n) => {
      const w = model.windows.get(n);
      return w && w.state !== "closed" && w.state !== "paused";
    }).length;
  }

  function slotOf(iso) {
    const index = Math.floor((Date.parse(iso) - Date.parse(model.charts.start)) / SLOT_MS);
    return index >= 0 && index < model.charts.slots.length ? index : null;
  }

  // -- drawing -------------------------------------------------------------------------------

  function drawAll() {
    drawTotals();
    drawQueues();
    drawWindows();
    drawAlarms();
    drawAdvice();
  }

  function drawTotals() {
    const t = model.totals;
    const serving = [...model.windows.values()].filter((w) => w.state === "called" || w.state === "serving").length;
    const waiting = [...model.queues.values()].reduce((sum, q) => sum + q.waiting, 0);
    $("[data-testid=total-issued]").textContent = t.issued;
    $("[data-testid=total-served]").textContent = t.served;
    $("[data-testid=total-waiting]").textContent = waiting;
    $("[data-testid=total-serving]").textContent = serving;
    $("[data-testid=total-no-show]").textContent = t.no_show;
    $("[data-testid=total-mean-wait]").textContent = t.waited ? duration((t.wait_seconds_sum / t.waited) * 1000) : S.none;
  }

  function drawQueues() {
    const body = $("[data-testid=queues] tbody");
    body.replaceChildren();
    for (const q of model.queues.values()) {
      const row = document.createElement("tr");
      row.dataset.queue = q.queue;
      const name = setup.english && q.queue_name_en ? q.queue_name_en : q.queue_name;
      cell(row, "name", `${q.queue} ${name}`, "name");
      cell(row, "waiting", q.waiting, "num");
      const longest = q.oldest_issued_at ? now() - Date.parse(q.oldest_issued_at) : null;
      cell(row, "longest", longest === null ? S.none : duration(longest), "num");
      row.classList.toggle("over", longest !== null && longest > q.target_wait_minutes * 60000);
      const open = openWindows(q.queue);
      const expected = q.waiting === 0 ? 0 : q.mean_handle_seconds && open ? (q.waiting * q.mean_handle_seconds * 1000) / open : null;
      cell(row, "expected", expected === null ? S.none : duration(expected), "num");
      cell(row, "open", `${open} / ${q.windows.length}`, "num");
      body.append(row);
    }
  }

  function drawWindows() {
    const body = $("[data-testid=windows] tbody");
    body.replaceChildren();
    for (const w of model.windows.values()) {
      const row = document.createElement("tr");
      row.dataset.window = w.number;
      row.className = `state-${w.state}`;
      cell(row, "name", w.name, "name");
      cell(row, "state", setup.stateNames[w.state] || w.state, "state");
      let detail = S.none;
      // Whom it serves since their call (or the start of the service), else since its state began.
      const since = w.current && w.current.since ? w.current.since : w.since;
      if ((w.state === "called" || w.state === "serving") && w.current) {
        detail = format(S.serving_whom, { number: w.current.number, time: hhmm(since) });
      } else if (w.state === "paused") {
        detail = format(S.paused_reason, { reason: w.pause_reason || "", time: hhmm(w.since) });
      } else if (w.since && w.state !== "closed") {
        detail = format(S.since, { time: hhmm(w.since) });
      }
      if (since && w.state !== "closed") detail += ` (${duration(now() - Date.parse(since))})`;
      cell(row, "detail", detail);
      cell(row, "clerk", w.clerk ? `${w.clerk.name} · ${w.clerk.badge || ""}` : S.none);
      cell(row, "served", w.served_today, "num");
      body.append(row);
    }
  }

  function alarmText(alarm) {
    const d = { ...alarm.detail };
    let template = S[alarm.kind];
    if (alarm.kind === "queue_overloaded" && !d.windows) template = S.queue_no_window;
    if (alarm.kind === "invariant_broken") {
      d.status = setup.ticketStatusNames[d.status] || d.status;
      if (d.window == null) {
        template = S.invariant_ticket;
        d.windows = (d.windows || []).join("、") || S.none;
      }
    }
    if (alarm.kind === "bad_rating") {
      d.level = setup.levelNames[String(d.score)] || d.score;
      d.reasons = (d.reasons || []).join("、") || d.comment || S.none;
      d.clerk = d.clerk ? `${d.clerk} · ${d.badge || ""}` : S.none;
    }
    return template ? format(template, d) : alarm.message;
  }

  // Alarms of one kind about one queue or window are one incident (the server names it:
  // alarm.incident), drawn as one line with its count and since-when, acknowledged together.
  function incidents() {
    const found = new Map();
    for (const alarm of model.alarms.values()) {
      const key = `${alarm.kind}|${alarm.incident}`;
      if (!found.has(key)) found.set(key, { kind: alarm.kind, incident: alarm.incident, alarms: [] });
      found.get(key).alarms.push(alarm);
    }
    const rank = { open: 0, acknowledged: 1, cleared: 2 };
    return [...found.values()].map((incident) => {
      const standing = incident.alarms.filter((a) => a.state !== "cleared");
      const counted = standing.length ? standing : incident.alarms;
      counted.sort((a, b) => Date.parse(b.raised_at) - Date.parse(a.raised_at));
      const unseen = standing.filter((a) => a.state === "open");
      const state = unseen.length ? "open" : standing.length ? "acknowledged" : "cleared";
      const since = Date.parse(counted[counted.length - 1].raised_at);
      const grew = unseen.length > 0 && unseen.length < standing.length;  // new ones since it was seen
      const escalated = state !== "cleared" && (standing.length >= setup.escalateCount || grew
        || (state === "open" && now() - since >= setup.escalateMinutes * 60000));
      return { ...incident, newest: counted[0], count: counted.length, unseen: unseen.length, state, since, escalated };
    }).sort((a, b) => rank[a.state] - rank[b.state] || b.escalated - a.escalated
      || Date.parse(b.newest.raised_at) - Date.parse(a.newest.raised_at));
  }

  const escalatedBefore = new Set();
  function chimeOnEscalation(list) {
    const escalatedNow = new Set(list.filter((i) => i.escalated).map((i) => `${i.kind}|${i.incident}`));
    if ([...escalatedNow].some((key) => !escalatedBefore.has(key))) chime();
    escalatedBefore.clear();
    escalatedNow.forEach((key) => escalatedBefore.add(key));
  }

  let audio = null;
  function chime() {
    try {
      audio = audio || new AudioContext();
      [880, 660].forEach((hz, i) => {
        const tone = audio.createOscillator();
        const gain = audio.createGain();
        tone.frequency.value = hz;
        gain.gain.setValueAtTime(0.2, audio.currentTime + i * 0.25);
        gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + i * 0.25 + 0.22);
        tone.connect(gain).connect(audio.destination);
        tone.start(audio.currentTime + i * 0.25);
        tone.stop(audio.currentTime + i * 0.25 + 0.25);
      });
      root.dataset.chimed = String(Number(root.dataset.chimed || 0) + 1);
    } catch {
      // No sound on this screen: the colour says it.
    }
  }

  function button(text, onClick, testid) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    if (testid) b.dataset.testid = testid;
    b.addEventListener("click", () => onClick(b));
    return b;
  }

  function drawAlarms() {
    const list = $("[data-testid=alarms]");
    const found = incidents();
    chimeOnEscalation(found);
    list.replaceChildren();
    for (const incident of found) {
      const alarm = incident.newest;
      const item = document.createElement("li");
      item.dataset.alarm = alarm.id;
      item.dataset.state = incident.state;
      item.dataset.kind = incident.kind;
      item.dataset.subject = incident.incident;
      item.dataset.count = incident.count;
      item.dataset.escalated = String(incident.escalated);
      if (incident.escalated) item.title = S.escalated;
      const kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = setup.alarmNames[incident.kind] || incident.kind;
      if (incident.count > 1) {
        const count = document.createElement("span");
        count.className = "badge";
        count.dataset.testid = "incident-count";
        count.textContent = incident.count;
        kind.append(" ", count);
      }
      const text = document.createElement("span");
      text.className = "text";
      text.dataset.testid = "alarm-text";
      text.textContent = alarmText(alarm);
      const when = document.createElement("span");
      when.className = "when";
      when.dataset.testid = "alarm-when";
      const since = new Date(incident.since).toISOString();
      const parts = [incident.count > 1 ? format(S.incident_since, { n: incident.count, time: hhmm(since) })
        : format(S.raised, { time: hhmm(alarm.raised_at) })];
      if (alarm.acknowledged_at) parts.push(format(S.acknowledged, { name: alarm.acknowledged_by, time: hhmm(alarm.acknowledged_at) }));
      if (alarm.cleared_at) parts.push(format(S.cleared, { time: hhmm(alarm.cleared_at) }));
      when.textContent = parts.join(" · ");
      const actions = document.createElement("span");
      actions.className = "actions";
      if (setup.canAcknowledge && incident.unseen && incident.kind !== "storage_full") {  // no row to mark
        actions.append(button(S.acknowledge, (b) => acknowledge({ kind: incident.kind, incident: incident.incident }, b)));
      }
      // A stuck window: the manager's way out (复位窗口), with a reason for the audit log.
      if (setup.canAcknowledge && alarm.kind === "invariant_broken" && incident.state !== "cleared" && alarm.detail.window != null) {
        actions.append(button(S.reset, (b) => resetWindow(alarm.detail.window, b), "reset-window"));
      }
      item.append(kind, actions, text, when);
      list.append(item);
    }
    if (!found.length) {
      const empty = document.createElement("li");
      empty.className = "empty";
      empty.textContent = S.no_alarms;
      list.append(empty);
    }
    drawAcknowledgeAll(found);
    const open = found.filter((i) => i.state === "open").length;
    $("[data-testid=alarm-count]").textContent = open ? `(${open})` : "";
  }

  // 全部确认, per kind: where two incidents or more of a kind are unacknowledged.
  function drawAcknowledgeAll(found) {
    const bar = $("[data-testid=acknowledge-all]");
    bar.replaceChildren();
    if (!setup.canAcknowledge) return;
    const perKind = new Map();
    for (const i of found) if (i.unseen && i.kind !== "storage_full") perKind.set(i.kind, (perKind.get(i.kind) || 0) + 1);
    for (const [kind, n] of perKind) {
      if (n < 2) continue;
      const name = setup.alarmNames[kind] || kind;
      bar.append(button(format(S.acknowledge_all, { kind: name, n }), (b) => acknowledge({ kind }, b)));
    }
    bar.hidden = !bar.children.length;
  }

  function say(text) {
    const message = $("[data-testid=message]");
    message.textContent = text;
    message.hidden = !text;
  }

  // A manager's action on the API; its answer, or null once the failure is said.
  const post = (path, button, body) => send("POST", path, button, body);
  async function send(method, path, button, body) {
    button.disabled = true;
    try {
      const response = await fetch(setup.api + path, {
        method,
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const data = await response.json();
      if (response.ok) return data;
      say(format(S.failed, { message: data.text || "" }));
    } catch {
      say(format(S.failed, { message: "—" }));
    }
    button.disabled = false;
    return null;
  }

  async function resetWindow(number, button) {
    const reason = (window.prompt(S.reset_reason) || "").trim();
    if (reason && (await post(`/windows/${number}/reset`, button, { reason })))
      say(format(S.reset_done, { window: number })); // its alarm clears over /hall
  }

  async function acknowledge(what, button) {
    const data = await post("/alarms/acknowledge", button, what);
    if (!data) return;
    say("");
    data.forEach((alarm) => model.alarms.set(alarm.id, alarm));
    drawAlarms();
  }

  // -- the advisor (潮汐窗口): a signed-in window with time to spare takes a long queue too ---

  const minutesOf = (range) => (range ? String(Math.max(1, Math.round(range.median / 60))) : S.advice_no_window);

  function drawAdvice() {
    const box = $("[data-testid=advice]");
    box.replaceChildren();
    for (const move of model.advice) {
      const item = document.createElement("div");
      item.className = "move";
      item.dataset.queue = move.queue;
      item.dataset.window = move.window;
      const text = document.createElement("span");
      text.className = "text";
      text.textContent = format(S.advice_move, {
        window: move.window_name, queue: move.queue, queue_name: move.queue_name,
        before: minutesOf(move.before), after: minutesOf(move.after),
        low: Math.round(move.after.low / 60), high: Math.max(1, Math.round(move.after.high / 60)),
      });
      item.append(text);
      if (setup.canAcknowledge) item.append(button(S.advice_apply, (b) => applyMove(move, b), "apply-advice"));
      box.append(item);
    }
    box.hidden = !model.advice.length;
  }

  // Through the windows × queues grid's own call, marked as advised; undone by putting back
  // what the window served before.
  async function applyMove(move, applying) {
    const queues = [...move.window_queues, { code: move.queue, weight: null }];
    if (!(await send("PUT", `/windows/${move.window}/queues`, applying, { queues, advised: true }))) return;
    model.advice = model.advice.filter((m) => m !== move);
    drawAdvice();
    say(format(S.advice_done, { window: move.window_name, queue: move.queue }));
    const undo = button(S.undo, async (b) => {
      if (await send("PUT", `/windows/${move.window}/queues`, b, { queues: move.window_queues })) say(S.advice_undone);
    }, "undo-advice");
    $("[data-testid=message]").append(" ", undo);
  }

  // -- the charts ----------------------------------------------------------------------------

  const PALETTE = ["#b3261e", "#1f5fa8", "#1b7f3b", "#a36200", "#6b3fa0", "#00838f", "#5b6875", "#c2185b", "#558b2f", "#8d6e63"];

  function drawCharts() {
    if (typeof Chart === "undefined") return;
    const c = model.charts;
    const flow = [
      { type: "bar", label: S.arrivals, data: c.arrivals, backgroundColor: "#1f5fa8cc" },
      { type: "bar", label: S.calls, data: c.calls, backgroundColor: "#1b7f3bcc" },
    ];
    if (c.usual_arrivals) {
      flow.push({ type: "line", label: S.usual_arrivals, data: c.usual_arrivals, borderColor: "#1f5fa8", borderDash: [6, 4], pointRadius: 0, fill: false });
      flow.push({ type: "line", label: S.usual_calls, data: c.usual_calls, borderColor: "#1b7f3b", borderDash: [2, 3], pointRadius: 0, fill: false });
    }
    const options = {
      responsive: true, maintainAspectRatio: false, animation: false,
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
    };
    if (flowChart) flowChart.destroy();
    flowChart = new Chart($("[data-testid=flow-chart]"), { data: { labels: c.slots, datasets: flow }, options });
    const lines = [...model.queues.values()].map((q, i) => ({
      label: `${q.queue} ${setup.english && q.queue_name_en ? q.queue_name_en : q.queue_name}`,
      data: c.waiting[q.queue],
      borderColor: PALETTE[i % PALETTE.length],
      backgroundColor: PALETTE[i % PALETTE.length],
      pointRadius: 0,
      tension: 0.2,
    }));
    if (waitingChart) waitingChart.destroy();
    waitingChart = new Chart($("[data-testid=waiting-chart]"), { type: "line", data: { labels: c.slots, datasets: lines }, options });
  }

  function bump(series, iso) {
    const index = slotOf(iso);
    if (index === null) return;
    series[index] += 1;
    if (flowChart) flowChart.update("none");
  }

  function setWaiting(code, waiting) {
    const series = model.charts.waiting[code];
    const index = slotOf(new Date(now()).toISOString());
    if (!series || index === null) return;
    for (let i = 0; i <= index; i += 1) if (series[i] === null) series[i] = i === index ? waiting : series[i - 1] ?? 0;
    series[index] = waiting;
    if (waitingChart) waitingChart.update("none");
  }

  // -- the events ----------------------------------------------------------------------------

  const handlers = {
    state: load,
    ticket_issued(p) {
      model.totals.issued += 1;
      model.waitingSince.set(p.ticket_id, p.at);
      bump(model.charts.arrivals, p.at);
      drawTotals();
    },
    ticket_called(p) {
      if (p.recall) return;
      const since = model.waitingSince.get(p.ticket_id);
      if (since) {
        model.totals.waited += 1;
        model.totals.wait_seconds_sum += Math.max(0, (Date.parse(p.at) - Date.parse(since)) / 1000);
        model.waitingSince.delete(p.ticket_id);
      }
      bump(model.charts.calls, p.at);
      drawTotals();
    },
    ticket_changed(p) {
      if (p.step === "finished") {
        model.totals.served += 1;
        const w = model.windows.get(p.window);
        if (w) w.served_today += 1;
        drawWindows();
      } else if (p.step === "no_show") {
        model.totals.no_show += 1;
      } else if (p.step === "requeued") {
        model.totals.no_show -= 1;
      } else if (p.step === "cancelled") {
        model.waitingSince.delete(p.ticket_id);
      }
      drawTotals();
    },
    queue_state(p) {
      const q = model.queues.get(p.queue);
      if (!q) return;
      q.waiting = p.waiting;
      q.oldest_issued_at = p.oldest_issued_at;
      setWaiting(p.queue, p.waiting);
      drawQueues();
      drawTotals();
    },
    window_state(p) {
      const w = model.windows.get(p.number);
      model.windows.set(p.number, { ...(w || { served_today: 0, queues: [] }), ...p });
      // A manager may have opened the window for a queue, or taken it off one.
      for (const [code, q] of model.queues) {
        const serves = p.queues.includes(code);
        const at = q.windows.indexOf(p.number);
        if (serves && at < 0) q.windows.push(p.number);
        if (!serves && at >= 0) q.windows.splice(at, 1);
      }
      drawWindows();
      drawQueues();
      drawTotals();
    },
    alarm(p) {
      model.alarms.set(p.id, p);
      drawAlarms();
    },
    advice(p) {
      model.advice = p.moves;
      drawAdvice();
    },
  };

  hallqLive.connect({
    subscriptions: [{ dashboard: true }],
    handlers,
    onLive: () => {
      root.dataset.live = "true";
      say("");
    },
    onLost: () => (root.dataset.live = "false"),
    onRefused: (ack) => say(format(S.failed, { message: ack ? ack.error : "—" })),
  });

  // Time passes: the waits and durations on screen follow (no request is made).
  setInterval(() => model && (drawQueues(), drawWindows(), drawAlarms()), 15000);
})();
