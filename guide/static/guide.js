// The guide's desk: the kiosks' 求助 calls live over /hall (the login session's socket), and
// two tools over /api/v1: issue a ticket for someone, look one up. The server decides every
// change; the page draws what it answered.
(() => {
  "use strict";

  const setup = JSON.parse(document.getElementById("guide-setup").textContent);
  const S = setup.strings;
  const root = document.querySelector(".desk");
  const $ = (selector) => root.querySelector(selector);
  const { format } = hallqStaff;
  const say = (text, kind) => hallqStaff.say($(".message"), text, kind);
  const request = (method, path, body) => hallqStaff.request(setup.api, method, path, body);

  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (name === "onclick") node.addEventListener("click", value);
      else node.setAttribute(name, value);
    }
    node.append(...children.filter((child) => child !== null && child !== undefined));
    return node;
  }

  const clock = new Intl.DateTimeFormat(setup.language, {
    hour: "2-digit", minute: "2-digit", timeZone: setup.timezone, hourCycle: "h23",
  });
  const hhmm = (iso) => clock.format(new Date(iso));

  function failed(answer) {
    say(format(S.failed, { message: answer.data.text || answer.data.message || answer.status }));
  }

  // -- 求助 calls ---------------------------------------------------------------------------
  const calls = new Map(); // open help calls by alarm id
  let drawn = new Set(); // the ids drawn last time: a call not among them is new (flash, chime)
  let drawnOnce = false; // the calls open when the page opens are not new: no chime for them

  function chime() {
    try {
      const audio = new AudioContext();
      const tone = audio.createOscillator();
      tone.frequency.value = 880;
      tone.connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.4);
    } catch {
      // no sound device: the flash still shows it
    }
  }

  function kioskName(call) {
    return call.detail.kiosk_name || call.label;
  }

  // The floor plan with the calling kiosk lit, where the plan draws it.
  function place(call) {
    const kiosk = call.detail.kiosk;
    if (!setup.kiosksOnPlan.includes(kiosk)) return null;
    return el("img", {
      class: "place", "data-testid": "place", alt: format(S.where, { kiosk: kioskName(call) }),
      src: setup.kioskPlan.replace("KIOSK", encodeURIComponent(kiosk)),
    });
  }

  function drawCalls() {
    const list = $(".call-list");
    const newestFirst = [...calls.values()].sort((a, b) => Date.parse(b.raised_at) - Date.parse(a.raised_at));
    const fresh = newestFirst.filter((call) => !drawn.has(call.id));
    list.replaceChildren(...newestFirst.map((call) => {
      const minutes = Math.max(0, Math.floor((Date.now() - Date.parse(call.raised_at)) / 60000));
      const button = el("button", { type: "button", "data-testid": "answer" }, S.answer);
      button.addEventListener("click", () => answer(call, button));
      return el("li", { class: drawnOnce && fresh.includes(call) ? "call new" : "call", "data-testid": "call", "data-alarm": call.id },
        el("div", { class: "kiosk" }, kioskName(call)),
        el("div", { class: "waited" }, `${hhmm(call.raised_at)} · `,
          minutes ? format(S.waited, { n: minutes }) : S.just_now),
        place(call),
        button);
    }));
    $(".count").textContent = calls.size ? `(${calls.size})` : "";
    $('[data-testid="no-calls"]').hidden = calls.size > 0;
    if (fresh.length && drawnOnce) chime();
    drawn = new Set(calls.keys());
    drawnOnce = true;
  }

  async function answer(call, button) {
    button.disabled = true;
    const answered = await request("POST", `/help/${call.id}/answer`);
    if (!answered.ok) {
      button.disabled = false;
      return failed(answered);
    }
    say(format(S.answered, { kiosk: kioskName(call) }), "info");
    calls.delete(call.id);
    drawCalls();
  }

  hallqLive.connect({
    subscriptions: [{ alarms: "help_requested" }],
    handlers: {
      state(state) {
        calls.clear();
        for (const call of state.alarms) calls.set(call.id, call);
        drawCalls();
      },
      alarm(payload) {
        if (payload.state === "open") calls.set(payload.id, payload);
        else calls.delete(payload.id);
        drawCalls();
      },
    },
    onLive: () => ($(".link").dataset.online = "true"),
    onLost: () => ($(".link").dataset.online = "false"),
    onRefused: (ack) => say(format(S.failed, { message: (ack && ack.error) || "" })),
  });
  setInterval(drawCalls, 30000); // the minutes waited move on

  // -- issuing a ticket -----------------------------------------------------------------------
  let chosen = null;
  const search = $('[data-testid="item-search"]');
  const form = $(".ticket-form");
  const printer = $('[data-testid="printer"]');
  // The tablet's own choice, else the hall's guide printer (hall.toml guide_printer).
  const remembered = localStorage.getItem("guide-printer") ?? setup.guidePrinter ?? "";
  for (const kiosk of setup.kiosks) {
    printer.append(el("option", { value: kiosk.id }, kiosk.name));
  }
  printer.value = setup.kiosks.some((k) => k.id === remembered) ? remembered : "";
  printer.addEventListener("change", () => localStorage.setItem("guide-printer", printer.value));

  const choices = root.querySelector('[data-choices="priority"]');
  const priorities = [["", S.normal], ...Object.entries(setup.priorityNames)];
  choices.append(...priorities.map(([value, label]) =>
    el("label", {}, el("input", { type: "radio", name: "priority", value, "data-priority": value || "none" }), label)));
  choices.querySelector('input[value=""]').checked = true;

  let searching = 0;
  search.addEventListener("input", async () => {
    const typed = search.value.trim();
    const mine = ++searching;
    if (!typed) return $(".items").replaceChildren();
    const answer = await request("GET", `/items?${new URLSearchParams({ q: typed, limit: "12" })}`);
    if (mine !== searching) return; // a later keystroke's answer is the one to show
    if (!answer.ok) return failed(answer);
    $(".items").replaceChildren(...(answer.data.length ? answer.data.map((item) =>
      el("li", {}, el("button", { type: "button", class: "item", "data-testid": "item", onclick: () => choose(item) },
        itemName(item), el("small", {}, item.queue))))
      : [el("li", { class: "empty" }, S.no_items)]));
  });

  // In English, the item's English name where the catalogue has one.
  function itemName(item) {
    return setup.language === "en" && item.name_en ? item.name_en : item.name;
  }

  function choose(item) {
    chosen = item;
    $(".chosen").textContent = setup.language === "en" ? `${item.name_en || item.name} (${item.queue})` : `${item.name}（${item.queue}）`;
    form.hidden = false;
    $(".issued").hidden = true;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = $('[data-testid="issue"]');
    const priority = form.querySelector('input[name="priority"]:checked').value;
    const body = { item_id: chosen.id, request_id: crypto.randomUUID() };
    if (priority) body.priority = priority;
    if (printer.value) body.kiosk = printer.value;
    button.disabled = true;
    const answer = await request("POST", "/tickets", body).finally(() => (button.disabled = false));
    if (!answer.ok) return failed(answer);
    const ticket = answer.data;
    say(format(S.issued, { number: ticket.number, n: ticket.waiting_ahead }), "info");
    $('[data-testid="issued-number"]').textContent = ticket.number;
    const kiosk = setup.kiosks.find((k) => k.id === printer.value);
    $('[data-testid="issued-text"]').textContent = [
      ticket.priority ? setup.priorityNames[ticket.priority] : null,
      format(S.ahead, { n: ticket.waiting_ahead }),
      format(S.windows, { windows: ticket.windows.map((w) => w.name).join("、") }),
      kiosk && ticket.print && ticket.print.queued ? format(S.printing, { kiosk: kiosk.name }) : S.no_print,
    ].filter(Boolean).join(" · ");
    const qr = $('[data-testid="issued-qr"]');
    qr.src = setup.phoneQr.replace("KEY", encodeURIComponent(ticket.key));
    qr.hidden = false;
    $(".issued").hidden = false;
  });

  // -- looking a ticket up ------------------------------------------------------------------
  let record = null;
  const lookupForm = $(".lookup-form");

  async function lookUp(number) {
    const answer = await request("GET", `/tickets/lookup?${new URLSearchParams({ number })}`);
    if (!answer.ok) {
      $(".record").hidden = true;
      return failed(answer);
    }
    say("");
    record = answer.data;
    drawRecord();
  }

  function person(step) {
    if (!step.staff) return null;
    return step.badge ? format(S.by, { name: step.staff, badge: step.badge }) : step.staff;
  }

  function drawRecord() {
    $(".record-number").textContent = record.number;
    const facts = [
      [S.status_label, setup.statusNames[record.status] || record.status],
      [S.queue_label, `${record.queue_name}（${record.queue}）`],
      [S.item_label, record.item_name],
      [S.priority_label, record.priority ? setup.priorityNames[record.priority] || record.priority : null],
      [S.ahead_label, record.status === "waiting" ? String(record.waiting_ahead) : null],
      [S.window_label, record.window ? record.window.name : record.windows.map((w) => w.name).join("、")],
    ].filter(([, value]) => value);
    $(".record-facts").replaceChildren(...facts.flatMap(([name, value]) => [el("dt", {}, name), el("dd", {}, value)]));
    $(".history").replaceChildren(...record.history.map((step) =>
      el("li", { "data-testid": "step", "data-kind": step.kind },
        el("time", {}, hhmm(step.at)),
        [setup.stepNames[step.kind] || step.kind, step.window ? format(S.at_window, { window: step.window.name }) : null,
          person(step)].filter(Boolean).join(" · "))));
    $('[data-testid="cancel"]').hidden = !record.may_cancel;
    $('[data-testid="requeue"]').hidden = !record.may_requeue;
    $(".record").hidden = false;
  }

  lookupForm.addEventListener("submit", (event) => {
    event.preventDefault();
    lookUp(lookupForm.elements.number.value.trim().toUpperCase());
  });

  async function act(action, done) {
    const answer = await request("POST", `/tickets/${record.id}/${action}`);
    if (!answer.ok) return failed(answer);
    await lookUp(record.number);
    say(format(done, { number: record.number }), "info");
  }

  $('[data-testid="cancel"]').addEventListener("click", () => {
    if (confirm(format(S.confirm_cancel, { number: record.number }))) act("cancel", S.cancelled);
  });
  $('[data-testid="requeue"]').addEventListener("click", () => act("requeue", S.requeued));
})();
