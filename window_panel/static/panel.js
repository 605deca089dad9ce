// The clerk's window panel: a thin client of /api/v1/windows/<n>/...
// Every button is one API call; the server guards every state change (a second 叫号 while a
// ticket is at the window is refused), the page only reflects what the server answered.
(() => {
  "use strict";

  const setup = JSON.parse(document.getElementById("panel-setup").textContent);
  const S = setup.strings;
  const root = document.querySelector(".panel");
  const $ = (selector) => root.querySelector(selector);
  const { format } = hallqStaff;
  const say = (text, kind) => hallqStaff.say($(".message"), text, kind);
  const request = (method, path, body) => hallqStaff.request(setup.api, method, path, body);
  const buttons = [...root.querySelectorAll(".actions [data-action]")];
  const noticeButtons = [...root.querySelectorAll("[data-notice]")];

  // Which actions each window state allows (the server checks again).
  const ALLOWED = {
    idle: ["call-next", "call", "pause"],
    called: ["recall", "start", "no-show", "transfer"],
    serving: ["finish", "transfer"],
    paused: ["resume"],
    closed: [],
  };

  let panel = null; // the latest panel the server answered: GET /panel or an action's POST
  let busy = false; // one request at a time: a double press sends nothing twice
  let acted = 0; // actions answered: a read sent before the latest of them is out of date
  const given = new Map(); // ticket id -> the written notices given for it at this panel

  function minutesSince(iso) {
    return Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 60000));
  }

  // Draw a panel the server answered (GET /panel, or the POST of an action).
  function apply(answer) {
    panel = answer;
    render();
    followQueues();
  }

  // Read the whole panel. An action answered while the read was out, or one still in flight
  // when it was sent, is newer than what the read may say (the read can be served before the
  // action commits): its answer stands, and the read's is dropped.
  async function refresh() {
    const actedBefore = acted;
    const acting = busy;
    if (!acting) pushes.reset();
    try {
      const answer = await request("GET", `/windows/${setup.window}/panel`);
      if (!answer.ok) return say(format(S.failed, { message: answer.data.text || "" }));
      if (acting || busy || acted !== actedBefore) return;
      apply(answer.data);
      waiting.load();
    } catch {
      say(S.offline);
    }
  }

  // -- drawing ----------------------------------------------------------------------------

  function render() {
    const { window: win, ticket, yours } = panel;
    root.dataset.state = win.state;
    root.dataset.yours = yours;
    $("[data-testid=state]").textContent = setup.stateNames[win.state];
    $("[data-testid=clerk]").textContent = win.clerk ? `${win.clerk.name} · ${win.clerk.badge}` : "";
    $("[data-action=sign-in]").hidden = yours;
    $("[data-action=sign-out]").hidden = !yours || win.state === "closed";
    const allowed = yours ? ALLOWED[win.state] || [] : [];
    for (const button of buttons) {
      const action = button.dataset.action;
      button.disabled = busy || !allowed.includes(action);
      if (action === "pause") button.hidden = win.state === "paused";
      if (action === "resume") button.hidden = win.state !== "paused";
    }
    renderTicket(win, ticket, yours);
    renderLoad();
    renderWritten(win, ticket, yours);
    waiting.render();
    waiting.check();
  }

  // The tickets waiting for the window; a click on a number calls it (the 指定叫号 action). Read
  // with the panel, then again only when a queue's pushed count (queue_state) or the tickets
  // sent here differ from the list: the ticket an action moved is taken off at once, so a call
  // costs no read.
  const waiting = {
    rows: [],
    lines: {}, // queue -> the ids of its line, as last pushed
    stale: false, // a push came since the list was last compared
    reading: null,
    again: false,
    gone: new Set(), // tickets this panel's actions took since the read under way was sent
    // An action moved `ticket` out of the line: off the list, off the pushed lines, and off the
    // answer of a read sent before it.
    taken(ticket) {
      if (!ticket) return;
      this.gone.add(ticket.id);
      this.rows = this.rows.filter((row) => row.id !== ticket.id);
      for (const [queue, line] of Object.entries(this.lines)) this.lines[queue] = line.filter((id) => id !== ticket.id);
    },
    pushed(queue, line) {
      this.lines[queue] = line;
      this.stale = true;
    },
    check() {
      if (!this.stale || busy || !panel) return;
      this.stale = false;
      const full = this.rows.length >= setup.waitingLimit;
      const shown = (pick) => this.rows.filter(pick).length;
      const listed = (queue) =>
        this.rows
          .filter((r) => r.queue === queue && !r.sent_here)
          .map((r) => r.id)
          .sort();
      const differs =
        Object.entries(this.lines).some(([queue, line]) => listed(queue).join() !== [...line].sort().join()) ||
        shown((r) => r.sent_here) !== panel.waiting_here;
      if (differs && !full) this.load();
    },
    async load() {
      if (this.reading) {
        this.again = true; // one more read once this one is answered: it may predate the change
        return;
      }
      this.gone = new Set();
      this.reading = request("GET", `/windows/${setup.window}/waiting`);
      try {
        const answer = await this.reading;
        if (answer.ok) this.rows = answer.data.filter((row) => !this.gone.has(row.id));
      } catch {
        say(S.offline);
      } finally {
        this.reading = null;
        this.render();
        if (this.again) {
          this.again = false;
          this.load();
        }
      }
    },
    render() {
      const filter = $("[data-testid=waiting-filter]");
      const shown = this.rows.filter((row) => !filter.value || row.queue === filter.value);
      const callable = panel && panel.yours && panel.window.state === "idle" && !busy;
      $("[data-testid=waiting] tbody").replaceChildren(
        ...shown.map((row) => {
          const tr = document.createElement("tr");
          const call = Object.assign(document.createElement("button"), {
            type: "button",
            className: "call-number",
            textContent: row.number,
            disabled: !callable,
            title: format(S.call_this, { number: row.number }),
          });
          call.addEventListener("click", () => act("call", { number: row.number }));
          const number = document.createElement("td");
          number.append(call);
          if (row.priority) {
            const mark = Object.assign(document.createElement("span"), { className: "priority" });
            mark.textContent = setup.priorityNames[row.priority];
            number.append(mark);
          }
          const queue = row.sent_here ? S.sent_here : `${row.queue} ${row.queue_name}`;
          const cells = [queue, row.item_name || "", format(S.minutes, { n: minutesSince(row.issued_at) })];
          tr.append(number, ...cells.map((text) => Object.assign(document.createElement("td"), { textContent: text })));
          return tr;
        }),
      );
      $("[data-testid=waiting-empty]").hidden = shown.length > 0;
    },
  };

  function renderWritten(win, ticket, yours) {
    const atWindow = yours && ticket && ticket.item_id && ["called", "serving"].includes(win.state);
    for (const button of noticeButtons) button.disabled = busy || !atWindow;
    const notices = (ticket && given.get(ticket.id)) || [];
    $("[data-testid=given-notices]").replaceChildren(
      ...notices.map((notice) => Object.assign(document.createElement("li"), { textContent: `${notice.title} ${notice.number}` })),
    );
  }

  function renderTicket(win, ticket, yours) {
    $("[data-testid=number]").textContent = ticket ? ticket.number : "";
    const details = $("[data-testid=details]");
    const note = $("[data-testid=note]");
    note.hidden = !panel.transfer_note;
    note.textContent = panel.transfer_note || "";
    if (!yours) {
      details.textContent = win.clerk ? format(S.taken_by, win.clerk) : S.closed;
    } else if (win.state === "paused") {
      details.textContent = format(S.paused, { reason: win.pause_reason });
    } else if (!ticket) {
      details.textContent = S.idle;
    } else {
      const parts = [ticket.queue_name, ticket.item_name, setup.priorityNames[ticket.priority]];
      const waited = ticket.called_at ? (Date.parse(ticket.called_at) - Date.parse(ticket.issued_at)) / 60000 : 0;
      parts.push(format(S.waited, { n: Math.floor(waited) }));
      if (ticket.started_at) parts.push(format(S.serving_for, { n: minutesSince(ticket.started_at) }));
      details.textContent = parts.filter(Boolean).join(" · ");
    }
  }

  function renderLoad() {
    const rows = panel.queues.map((q) => [`${q.code} ${q.name}`, q.waiting, q.oldest_issued_at]);
    if (panel.waiting_here) rows.push([S.sent_here, panel.waiting_here, null]);
    $("[data-testid=queues] tbody").replaceChildren(
      ...rows.map(([name, waiting, oldest]) => {
        const tr = document.createElement("tr");
        for (const text of [name, waiting, oldest ? format(S.minutes, { n: minutesSince(oldest) }) : S.nobody_waits]) {
          const td = document.createElement("td");
          td.textContent = text;
          tr.append(td);
        }
        return tr;
      }),
    );
    const today = panel.today;
    $(".today .served").textContent = today ? today.served : "";
    const average = today && today.average_handle_seconds;
    $(".today .average").textContent =
      average == null ? "—" : format(S.seconds_avg, { n: Math.floor(average / 60), s: average % 60 });
  }

  // -- acting -----------------------------------------------------------------------------

  async function act(action, body) {
    if (busy) return;
    busy = true;
    render();
    let answered = false;
    try {
      const answer = await request("POST", `/windows/${setup.window}/${action}`, body);
      answered = answer.ok;
      if (answer.status === 204) say(S.nobody, "info");
      else if (answer.ok) {
        say("");
        acted += 1;
        pushes.answered(answer.data);
        waiting.taken(answer.data.acted_on);
        apply(answer.data);
      } else if (answer.status === 409 && panel.ticket && ["call-next", "call"].includes(action))
        say(format(S.finish_first, { number: panel.ticket.number }));
      else say(format(S.failed, { message: answer.data.text || "" }));
    } catch {
      say(S.offline);
    } finally {
      busy = false;
      // Refused or lost: what the panel showed was out of date, or may be.
      if (answered) pushes.flush();
      else await refresh();
      render();
    }
  }

  function ask(name) {
    const dialog = document.querySelector(`dialog[data-dialog="${name}"]`);
    return new Promise((resolve) => {
      dialog.returnValue = "";
      dialog.addEventListener("close", () => resolve(dialog.returnValue === "cancel" ? "" : dialog.returnValue), {
        once: true,
      });
      dialog.showModal();
    });
  }

  const withChoice = {
    finish: async () => {
      const outcome = await ask("finish");
      if (outcome) act("finish", { outcome });
    },
    "no-show": async () => {
      const choice = await ask("no-show");
      if (choice) act("no-show", { requeue: choice === "requeue" });
    },
    pause: async () => {
      const reason = await ask("pause");
      if (reason) act("pause", { reason });
    },
    call: async () => {
      const form = document.querySelector('[data-submit="call"]');
      form.reset();
      if ((await ask("call")) === "ok") act("call", { number: form.number.value.trim().toUpperCase() });
    },
    transfer: async () => {
      const form = document.querySelector('[data-submit="transfer"]');
      form.reset();
      if ((await ask("transfer")) !== "ok") return;
      const [kind, value] = form.target.value.split(":");
      const note = form.note.value.trim();
      act("transfer", kind === "queue" ? { queue: value, note } : { window: Number(value), note });
    },
  };

  // -- written notices --------------------------------------------------------------------

  function tick(type, name, value) {
    const label = document.createElement("label");
    label.className = "tick";
    const input = Object.assign(document.createElement("input"), { type, name, value });
    label.append(input, Object.assign(document.createElement("span"), { textContent: value }));
    return label;
  }

  async function giveNotice(kind) {
    const ticket = panel && panel.ticket;
    if (busy || !ticket || !ticket.item_id) return;
    const item = await request("GET", `/items/${ticket.item_id}`);
    if (!item.ok) return say(format(S.failed, { message: item.data.text || "" }));
    const form = document.querySelector('[data-submit="written-notice"]');
    form.reset();
    form.querySelector("[data-notice-title]").textContent = setup.noticeTitles[kind];
    form.querySelector("[data-notice-item]").textContent = `${ticket.number} · ${item.data.name}`;
    for (const part of form.querySelectorAll("[data-notice-part]")) part.hidden = part.dataset.noticePart !== kind;
    form.querySelector("[data-materials]").replaceChildren(...item.data.materials.map((m) => tick("checkbox", "material", m)));
    form.querySelector("[data-reasons]").replaceChildren(...item.data.conditions.map((c) => tick("radio", "reason", c)));
    if ((await ask("written-notice")) !== "ok") return;
    const body = { kind };
    if (kind === "missing_materials")
      body.materials = [...form.querySelectorAll("[name=material]:checked")].map((box) => box.value);
    if (kind === "refusal") {
      const picked = form.querySelector("[name=reason]:checked");
      body.reason = form.typed_reason.value.trim() || (picked ? picked.value : "");
    }
    busy = true;
    render();
    try {
      const answer = await request("POST", `/windows/${setup.window}/written-notices`, body);
      if (!answer.ok) return say(format(S.failed, { message: answer.data.text || "" }));
      const notice = answer.data;
      given.set(ticket.id, [...(given.get(ticket.id) || []), notice]);
      const job = notice.print;
      const text = !job ? S.notice_kept : job.status === "failed" ? S.notice_not_printed : S.notice_printing;
      say(format(text, { title: notice.title, number: notice.number }), "info");
    } catch {
      say(S.offline);
    } finally {
      busy = false;
      render();
    }
  }

  function press(action) {
    (withChoice[action] || (() => act(action)))();
  }

  function fillChoices(name, choices) {
    document.querySelector(`[data-choices="${name}"]`).replaceChildren(
      ...choices.map((choice, index) => {
        const button = document.createElement("button");
        button.value = choice.value;
        button.className = "choice";
        button.innerHTML = `<span></span> <kbd aria-hidden="true">${index + 1}</kbd>`;
        button.firstChild.textContent = choice.label;
        return button;
      }),
    );
  }

  function fillTargets() {
    const option = (value, label) => Object.assign(document.createElement("option"), { value, textContent: label });
    document
      .querySelector('[data-targets="queue"]')
      .replaceChildren(...setup.queues.map((q) => option(`queue:${q.code}`, `${q.code} ${q.name}`)));
    document
      .querySelector('[data-targets="window"]')
      .replaceChildren(...setup.windows.map((w) => option(`window:${w.number}`, w.name)));
  }

  function onKey(event) {
    if (event.ctrlKey || event.altKey || event.metaKey) return;
    const open = document.querySelector("dialog[open]");
    if (open) {
      // Digits pick the n-th choice; Esc cancels (the browser's own dialog handling).
      const choices = [...open.querySelectorAll("button.choice:not([hidden])")];
      const index = Number(event.key) - 1;
      if (choices[index] && !event.target.matches("input, select")) {
        event.preventDefault();
        choices[index].click();
      }
      return;
    }
    if (event.target.matches("input, select, textarea")) return;
    const button = buttons.find((b) => b.dataset.key === event.key.toLowerCase() && !b.hidden);
    if (!button) return;
    event.preventDefault();
    if (!button.disabled) button.click();
    else if (busy) return;
    else if (panel && panel.ticket && ["call-next", "call"].includes(button.dataset.action))
      say(format(S.finish_first, { number: panel.ticket.number }));
    else say(S.not_now, "info");
  }

  // -- live -------------------------------------------------------------------------------

  // The queues whose waiting counts this panel hears: the window's, which a manager may change
  // during the day (the window's state event brings the panel to refresh, and so here).
  let socket = null;
  const followed = new Set();

  function followQueues() {
    if (!socket || !socket.connected) return;
    for (const { code } of panel.queues) {
      if (followed.has(code)) continue;
      followed.add(code);
      socket.emit("subscribe", { queue_load: code });
    }
  }

  // The window's state pushes, applied in the order the server committed them. A push that
  // arrives while an action's POST is in flight waits for the answer; pushes of commits before
  // the action's are older than its answer and dropped, up to the action's own push.
  const pushes = {
    held: [],
    awaited: null, // the answered action's own push, while it has not arrived
    // What a push must agree on with the panel to be applied as it is.
    key: (ticket, clerk, queues) => JSON.stringify([ticket, clerk, queues]),
    ofPanel: (shown) =>
      pushes.key(shown.ticket && shown.ticket.number, shown.window.clerk && shown.window.clerk.badge, shown.window.queues),
    ofPush: (push) => pushes.key(push.current && push.current.number, push.clerk && push.clerk.badge, push.queues),
    reset() {
      this.held = [];
      this.awaited = null;
    },
    answered(answer) {
      this.awaited = JSON.stringify([answer.window.state, this.ofPanel(answer)]);
    },
    receive(push) {
      if (push.number !== setup.window) return;
      if (busy) this.held.push(push);
      else this.take(push);
    },
    flush() {
      const held = this.held;
      this.held = [];
      for (const push of held) this.take(push);
    },
    take(push) {
      if (this.awaited !== null) {
        if (JSON.stringify([push.state, this.ofPush(push)]) === this.awaited) this.awaited = null;
        return; // the action's own push (the panel shows it already), or an older one
      }
      if (!panel) return;
      // Another ticket, clerk or queues: the push does not carry their details.
      if (this.ofPush(push) !== this.ofPanel(panel)) return refresh();
      // The same ticket at the same window, a step on (started from the window's caller,
      // paused, resumed): the push, the window as the API gives it, says all that changed.
      panel.window = push; // the API's window: a push is drawn as an answer is
      if (panel.ticket && push.state === "serving" && !panel.ticket.started_at)
        Object.assign(panel.ticket, { status: "serving", started_at: push.current.since });
      render();
    },
  };

  function listen() {
    const link = $("[data-testid=link]");
    socket = io("/hall", { transports: ["websocket"], reconnectionDelay: 500, reconnectionDelayMax: 2000 });
    socket.on("connect", () => {
      link.dataset.online = "true";
      followed.clear(); // a new connection is in no room yet
      for (const code of setup.windowQueues) {
        followed.add(code);
        socket.emit("subscribe", { queue_load: code });
      }
      // Whatever happened while the panel was not in the window's room: read it once.
      socket.emit("subscribe", { window: setup.window }, () => refresh());
    });
    socket.on("disconnect", () => (link.dataset.online = "false"));
    socket.on("window_state", (push) => pushes.receive(push));
    socket.on("queue_state", (state) => {
      const load = panel && panel.queues.find((q) => q.code === state.queue);
      if (!load) return;
      Object.assign(load, { waiting: state.waiting, oldest_issued_at: state.oldest_issued_at });
      renderLoad();
      waiting.pushed(state.queue, state.line);
      waiting.check();
    });
  }

  for (const button of buttons) button.addEventListener("click", () => press(button.dataset.action));
  for (const button of noticeButtons) button.addEventListener("click", () => giveNotice(button.dataset.notice));
  for (const action of ["sign-in", "sign-out"])
    $(`[data-action=${action}]`).addEventListener("click", () => act(action));
  fillChoices("outcome", setup.outcomes);
  fillChoices("reason", setup.pauseReasons);
  document.querySelector("[data-requeue]").hidden = !setup.requeueNoShow;
  fillTargets();
  const filter = $("[data-testid=waiting-filter]");
  for (const code of setup.windowQueues) {
    const name = (setup.queues.find((q) => q.code === code) || {}).name || "";
    filter.append(Object.assign(document.createElement("option"), { value: code, textContent: `${code} ${name}` }));
  }
  filter.addEventListener("change", () => waiting.render());
  document.addEventListener("keydown", onKey);
  setInterval(() => panel && render(), 15000); // waiting and serving minutes move on
  refresh();
  listen();
})();
