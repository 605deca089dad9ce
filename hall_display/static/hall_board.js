// The hall board (综合屏): the last calls with the newest large, each queue's waiting count,
// every window's state and the hall's notices scrolling. Each new call is announced by the
// voice (voice.html), never the calls that the state on (re)connect brings. What the box
// shows is what the voice says: a call heard while another is said waits in 即将呼叫.
"use strict";

(() => {
  const { setup, t, el, fit, replay } = board;
  const MAX_CALLS = 12;
  const NOTICE_SCREENS_PER_MINUTE = 5; // the notices cross the screen's width in 12 s
  const part = (name) => document.querySelector(`.${name}`);
  // waits: each queue's expected wait (queue_waits, every minute from the server), by code.
  const shown = { windows: new Map(), queues: new Map(), waits: new Map(), calls: [], notices: [] };

  const callKey = (call) => `${call.ticket_id}@${call.at}`;
  const queueName = (code, name) => (setup.lang === "en" && setup.queueNamesEn[code]) || name;
  // Where a call sends its citizen: "请到4号婚姻登记窗口", "Please go to window 4 (Marriage Registration)".
  function goTo(call) {
    if (setup.lang !== "en") return t("go_to", { window: call.window_name });
    const name = setup.windowNamesEn[call.window];
    return name ? t("go_to_named", { n: call.window, name }) : t("go_to_number", { n: call.window });
  }

  // The voice's call being said and those waiting (hallqVoice.onChange), as ticket ids.
  const voice = { speaking: null, waiting: [] };

  function renderCalls() {
    const boxed = voice.speaking ?? shown.calls.find((call) => !voice.waiting.includes(call.ticket_id))?.ticket_id;
    const latest = shown.calls.find((call) => call.ticket_id === boxed);
    const upcoming = voice.waiting.map((id) => shown.calls.find((call) => call.ticket_id === id)).filter(Boolean);
    const earlier = shown.calls.filter((call) => call !== latest && !upcoming.includes(call));
    const box = part("latest");
    box.classList.toggle("empty", !latest);
    box.querySelector(".number").textContent = latest ? latest.number : "—";
    box.querySelector(".where").textContent = latest ? goTo(latest) : t("no_calls");
    fit(box.querySelector(".where"));
    part("upcoming").hidden = upcoming.length === 0;
    part("upcoming-list").replaceChildren(
      ...upcoming.map((call) => el("li", { "data-number": call.number }, el("span", { class: "number" }, call.number))),
    );
    part("recent").replaceChildren(
      ...earlier.map((call) =>
        el("li", { "data-number": call.number },
          el("span", { class: "number" }, call.number),
          el("span", { class: "to" }, t("window", { n: call.window })),
          call.recall ? el("span", { class: "tag" }, t("recall")) : null),
      ),
    );
    fit(part("recent"));
  }

  function renderQueues() {
    part("queue-list").replaceChildren(
      ...[...shown.queues.values()].map((q) =>
        el("li", { "data-queue": q.queue, "data-waiting": q.waiting },
          el("span", { class: "name" }, el("span", { class: "code" }, q.queue), queueName(q.queue, q.queue_name),
            shown.waits.has(q.queue) ? el("span", { class: "wait" }, hallqWait.text(t, shown.waits.get(q.queue))) : null),
          el("span", { class: "number" }, String(q.waiting))),
      ),
    );
    fit(part("queue-list"));
  }

  function windowDetail(w) {
    if ((w.state === "called" || w.state === "serving") && w.current) return el("span", { class: "detail number" }, w.current.number);
    if (w.state === "paused") return el("span", { class: "detail" }, w.pause_reason || "");
    return w.state === "idle" ? el("span", { class: "detail" }, (w.clerk && w.clerk.name) || "") : null;
  }

  function renderWindows() {
    part("window-grid").replaceChildren(
      ...[...shown.windows.values()]
        .sort((a, b) => a.number - b.number)
        .map((w) =>
          el("li", { "data-window": w.number, "data-state": w.state, title: w.name },
            el("span", { class: "head" }, el("span", { class: "no" }, String(w.number)), windowDetail(w)),
            el("span", { class: "state" }, t(`state_${w.state}`))),
        ),
    );
    fit(part("window-grid"));
  }

  // Notices posted for a time leave the board when their time is up.
  const currentNotices = () => shown.notices.filter((n) => !n.until || Date.parse(n.until) > Date.now());
  let noticesShown = 0;

  function renderNotices() {
    const notices = currentNotices();
    noticesShown = notices.length;
    const footer = part("notices");
    footer.hidden = notices.length === 0;
    // The notices twice in a row, moved by the width of one: a loop without a gap or a jump.
    const group = (hidden) =>
      el("span", { class: "group", "aria-hidden": hidden },
        ...notices.map((n) => el("span", { class: "notice" }, el("b", {}, n.title), n.text)));
    const track = footer.querySelector(".track");
    track.replaceChildren(group(null), group("true"));
    const seconds = (track.firstChild.offsetWidth / footer.clientWidth) * (60 / NOTICE_SCREENS_PER_MINUTE);
    track.style.setProperty("--duration", `${Math.max(seconds, 10)}s`);
  }

  // A call the board has not shown yet goes on top; returns whether it was new. Each ticket
  // is listed once (as the state lists them): a recall moves its ticket to the top.
  function addCall(call) {
    if (shown.calls.some((c) => callKey(c) === callKey(call))) return false;
    shown.calls = [call, ...shown.calls.filter((c) => c.ticket_id !== call.ticket_id)].slice(0, MAX_CALLS);
    return true;
  }

  const clock = new Intl.DateTimeFormat(setup.lang === "zh" ? "zh-CN" : "en-GB", {
    timeZone: setup.timezone, month: "long", day: "numeric", weekday: "long",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });
  function tick() {
    part("clock").textContent = clock.format(new Date());
    if (currentNotices().length !== noticesShown) renderNotices();
  }
  tick();
  setInterval(tick, 1000);

  board.connect({
    state(state) {
      shown.windows = new Map(state.windows.map((w) => [w.number, w]));
      shown.queues = new Map(state.queues.map((q) => [q.queue, q]));
      shown.calls = state.calls.slice(0, MAX_CALLS);
      shown.notices = state.notices;
      renderNotices();
      renderCalls();
      renderQueues();
      renderWindows();
    },
    ticket_called(call) {
      if (!addCall(call)) return;
      document.body.dataset.calls = Number(document.body.dataset.calls) + 1;
      if (window.hallqVoice) window.hallqVoice.announce(call);  // its onChange shows it, when said
      else {
        renderCalls();
        replay(part("latest"), "blink");
      }
    },
    window_state(w) {
      shown.windows.set(w.number, w);
      renderWindows();
    },
    queue_state(q) {
      shown.queues.set(q.queue, q);
      renderQueues();
    },
    queue_waits(w) {
      shown.waits = new Map(Object.entries(w.waits));
      renderQueues();
    },
    // A notice posted (it goes first, as the newest) or withdrawn (it goes).
    notice(notice) {
      const others = shown.notices.filter((n) => n.id === null || n.id !== notice.id);
      shown.notices = notice.withdrawn ? others : [notice, ...others];
      renderNotices();
    },
  });
  window.addEventListener("resize", renderNotices);
  if (window.hallqVoice) {
    window.hallqVoice.onChange((speaking, waiting) => {
      const said = speaking ? speaking.ticket : null;
      const changed = said !== null && said !== voice.speaking;
      voice.speaking = said;
      voice.waiting = waiting.map((entry) => entry.ticket);
      renderCalls();
      if (changed) replay(part("latest"), "blink");
    });
  }
})();
