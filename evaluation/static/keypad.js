// The window's evaluation keypad: a tablet facing the citizen. Idle, it names the window and
// the clerk serving there; when the clerk finishes a service the server's evaluation_request
// wakes it with the clerk, the ticket, a countdown and the five levels (rating.js); a rating,
// the countdown's end or the window's next service (evaluation_closed) puts it back to sleep.
// Everything comes from the /hall namespace: the subscription's acknowledgement (again after
// every reconnect) and then its events. Vanilla JS, no build step.
"use strict";

(() => {
  const setup = JSON.parse(document.getElementById("keypad-setup").textContent);
  const TOKEN_KEY = `hallq.keypad.${setup.window}.token`;
  const DONE_MS = 4000; // "thank you" or a refusal, then idle
  // The server's time minus ours, from the time the server put in the page.
  const clockOffset = setup.serverNow - Date.now();

  const token = hallqLive.keepToken(TOKEN_KEY);

  function t(key, values = {}) {
    const text = setup.strings[key] || key;
    return text.replace(/%\((\w+)\)[ds]/g, (_, name) => String(values[name] ?? ""));
  }

  const part = (name, scope = document) => scope.querySelector(`.${name}`);
  const sections = { idle: part("idle"), asking: part("asking"), done: part("done"), unset: part("unset") };
  const offline = part("offline");
  const bar = part("time-bar").firstElementChild;

  let mode = null;
  let windowState = null; // the last window_state: who serves at the window
  let asking = null; // the evaluation_request on screen
  let sending = null; // {id, closed}: a rating on its way, and whether the server closed it meanwhile
  let ticker = null;
  let doneTimer = null;

  const widget = HallqRating.create({ t, reasons: setup.reasons, send: rate });
  part("rating-slot").append(widget.node);

  function show(next) {
    mode = next;
    document.body.dataset.mode = next;
    for (const [name, section] of Object.entries(sections)) section.hidden = name !== next;
    if (next !== "asking") {
      clearInterval(ticker);
      ticker = null;
    }
    if (next !== "done") {
      clearTimeout(doneTimer);
      doneTimer = null;
    }
  }

  // -- idle: the window and who serves there --------------------------------------------------

  function renderIdle() {
    const w = windowState;
    const where = t("window", { n: setup.window });
    const clerk = (w && w.clerk) || {};
    const serving = clerk.name && w.state !== "closed";
    part("idle-line").textContent = !serving ? where
      : clerk.badge ? t("serving_you", { window: where, name: clerk.name, badge: clerk.badge })
      : t("serving_you_no_badge", { window: where, name: clerk.name });
    part("idle-status").textContent = !w || w.state === "closed" ? t("closed")
      : w.state === "paused" ? [t("paused"), w.pause_reason].filter(Boolean).join(" · ") : "";
    showPhoto(part("clerk-photo", sections.idle), serving ? clerk.badge : null, serving ? clerk.name : "");
  }

  function idle() {
    asking = null;
    renderIdle();
    show("idle");
  }

  // The clerk's photo when the hall has one for the badge (config/photos); else their
  // surname in the photo's frame (the span after it).
  const placeholder = (img) => {
    const initial = img.nextElementSibling;
    initial.hidden = !img.hidden || !initial.textContent;
  };
  function showPhoto(img, badge, name) {
    img.nextElementSibling.textContent = name ? [...name][0] : "";
    const src = badge ? setup.photoBase + encodeURIComponent(badge) : "";
    if (img.getAttribute("src") !== src) {
      img.hidden = true;
      if (src) img.src = src;
      else img.removeAttribute("src");
    }
    placeholder(img);
  }
  for (const img of document.querySelectorAll(".clerk-photo")) {
    img.addEventListener("load", () => { img.hidden = false; placeholder(img); });
    img.addEventListener("error", () => { img.hidden = true; placeholder(img); });
  }

  // -- asking: the service just finished ------------------------------------------------------

  function ask(question) {
    if (mode === "asking" && asking && asking.evaluation_id === question.evaluation_id) return;
    asking = question;
    sending = null;
    widget.reset();
    const who = sections.asking;
    part("clerk-name", who).textContent = question.clerk_name || "";
    part("clerk-badge", who).textContent = question.clerk_badge ? t("badge", { badge: question.clerk_badge }) : "";
    showPhoto(part("clerk-photo", who), question.clerk_badge, question.clerk_name || "");
    part("ticket", who).textContent = question.item
      ? t("ticket", { number: question.number, item: question.item })
      : t("ticket", { number: question.number, item: question.queue_name });
    part("prompt", who).textContent = t("rate_prompt");
    show("asking");
    tick();
    ticker = setInterval(tick, 250);
  }

  // Seconds left, on the server's clock; never more than the hall's keypad time (a tablet
  // whose clock is off cannot make it longer) and never below zero. At zero the keypad waits
  // for the server to close the question (its sweeper runs every second).
  function secondsLeft() {
    const ms = Date.parse(asking.expires_at) - (Date.now() + clockOffset);
    return Math.min(Math.max(ms, 0), setup.keypadSeconds * 1000) / 1000;
  }

  function tick() {
    if (!asking) return;
    const left = secondsLeft();
    const countdown = part("countdown");
    countdown.textContent = t("countdown", { n: Math.ceil(left) });
    countdown.dataset.seconds = String(Math.ceil(left));
    bar.style.width = `${(100 * left) / setup.keypadSeconds}%`;
  }

  function finish(text, detail = "") {
    asking = null;
    part("done-text").textContent = text;
    part("done-detail").textContent = detail;
    show("done");
    doneTimer = setTimeout(idle, DONE_MS);
  }

  // The widget's send: the rating over the API with the keypad's token. Resolves to null when
  // the page moves on, or to a text the widget shows.
  async function rate(rating) {
    const question = asking;
    if (!question) return null;
    sending = { id: question.evaluation_id, closed: false };
    let response;
    try {
      response = await fetch(`${setup.api}/windows/${setup.window}/evaluation`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json", Authorization: `Bearer ${token}` },
        body: JSON.stringify(rating),
      });
    } catch (error) {
      const closed = sending && sending.closed;
      sending = null;
      if (closed) idle();
      return closed ? null : t("rate_failed");
    }
    const body = await response.json().catch(() => ({}));
    const closed = sending && sending.closed;
    sending = null;
    if (asking !== question && !closed) return null; // another service asks meanwhile
    if (response.status === 201) finish(t("rate_thanks"));
    else if (response.status === 409) finish(t("already"), body.text || "");
    else if (closed) idle();
    else if (response.status === 401 || response.status === 403) return t("refused", { error: body.text || response.status });
    else return body.text || t("rate_failed");
    return null;
  }

  function closed(event) {
    if (sending && sending.id === event.evaluation_id) {
      sending.closed = true; // the answer to our own rating decides what comes next
      return;
    }
    if (mode === "asking" && asking && asking.evaluation_id === event.evaluation_id) idle();
  }

  // -- the connection -------------------------------------------------------------------------

  function unset(text) {
    part("unset-text").textContent = text;
    show("unset");
  }

  // The window's room for who serves there, then the keypad's own (its state has both).
  function connect(handlers) {
    const live = (on) => {
      offline.hidden = on;
      document.body.dataset.live = String(on);
    };
    hallqLive.connect({
      subscriptions: [{ window: setup.window }, { keypad: setup.window }],
      handlers,
      token,
      onLive: () => live(true),
      onLost: () => live(false),
      onRefused: (ack) => {
        console.error("subscribe refused", ack);
        unset(t("refused", { error: (ack && ack.error) || "" }));
      },
    });
  }

  part("window-no").textContent = t("window", { n: setup.window });
  offline.textContent = t("offline");
  if (!token) {
    unset(t("not_set_up", { n: setup.window }));
    return;
  }
  idle();
  connect({
    state(state) {
      windowState = state.window;
      renderIdle();
      if (state.evaluation) ask(state.evaluation);
      else if (mode === "asking" || mode === "unset") idle();
    },
    window_state(w) {
      windowState = w;
      renderIdle();
    },
    evaluation_request: ask,
    evaluation_closed: closed,
  });
})();
