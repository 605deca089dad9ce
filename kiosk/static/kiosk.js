// The kiosk: find a service, read its public information, take a ticket.
// No framework: a few screens rendered with plain DOM calls (never innerHTML with data).
"use strict";

const setup = JSON.parse(document.getElementById("kiosk-setup").textContent);
const screen = document.getElementById("screen");
const banner = document.querySelector(".banner");
const TOKEN_KEY = `hallq.kiosk.${setup.kiosk}.token`;
const state = { lang: "zh", history: [], taking: false, idleTimer: null, countdown: null, taken: new Map() };
const AGAIN_WITHIN_MS = 2 * 60 * 1000;  // a second ticket for the same item this soon is asked about

hallqLive.keepToken(TOKEN_KEY); // from ?token=… once, when the kiosk is set up

function t(key, values = {}) {
  return hallqTexts.format(setup.strings[state.lang], state.lang, key, values);
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "onclick") node.addEventListener("click", value);
    else if (name === "class") node.className = value;
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
  return node;
}

// The hall's content in the screen's language: English where the catalogue has it, else the
// Chinese marked 中文 (hallq/static/texts.js).
const text = (zh, en) => hallqTexts.pick(state.lang, zh, en);
const lines = (item, field) => hallqTexts.pickLines(state.lang, item[field], item[`${field}_en`]);
const itemName = (item) => text(item.name, item.name_en);
const windowNames = (windows) => hallqTexts.windowNames(state.lang, t, windows);

function timeLimit(item) {
  return item.kind === "instant" ? t("instant") : t("commitment", { n: item.promised_limit_days });
}

// A request id that survives retries, so a double tap or a lost answer never makes two
// tickets. (crypto.randomUUID needs https; the hall's LAN is plain http.)
function newRequestId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `${setup.kiosk}-` + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// fetch with the device token; a network failure is retried until the server answers,
// with the banner saying so in plain words.
async function api(method, path, body) {
  // The error texts come in the language on the screen (hallq/error_texts.py).
  const headers = { Accept: "application/json", "X-Hallq-Lang": state.lang === "zh" ? "zh_CN" : "en" };
  const token = localStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  for (;;) {
    try {
      const response = await fetch(setup.api + path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      });
      // 503: the server is up but its database briefly is not, and nothing was done. Like a
      // lost connection: say so and send the same request again (its request id keeps a
      // ticket from being issued twice).
      if (response.status === 503) throw new Error("database unavailable");
      showBanner(null);
      return response;
    } catch (unreachable) {
      showBanner(t("offline"));
      await sleep(2000);
    }
  }
}

// The kiosk hears its own printing over /hall (kiosk:<id>, with its device token): the state
// of its printers, and each print job's end. A kiosk whose every printer is out of order says
// so, so nobody waits at the slot.
const PRINTER_FAULTS = ["paper_out", "cover_open", "offline", "away"];  // away: its PC's agent is offline
const printers = new Map(); // printer name → status
const printWaiters = new Map(); // print job id → resolve(the job's print_done)
const printsEnded = new Map(); // print job id → its print_done, when it came before anyone waited
function printerChanged(p) {
  printers.set(p.printer, p.away ? "away" : p.status);
  state.printerOut = printers.size > 0 && [...printers.values()].every((s) => PRINTER_FAULTS.includes(s));
  showBanner(null);
}
function followKiosk() {
  const token = localStorage.getItem(TOKEN_KEY);
  if (!token) return;
  hallqLive.connect({
    subscriptions: [{ kiosk: setup.kiosk }],
    token,
    handlers: {
      state(now) {
        printers.clear();
        for (const p of now.printers) printerChanged(p);
        // A job that ended while the kiosk was not listening: ask once, after a reconnect.
        for (const resolve of printWaiters.values()) resolve(null);
      },
      printer_state: printerChanged,
      print_done(p) {
        const resolve = printWaiters.get(p.job_id);
        if (resolve) return resolve(p);
        // The job can end before the ticket's answer has reached this page.
        printsEnded.set(p.job_id, p);
        if (printsEnded.size > 20) printsEnded.delete(printsEnded.keys().next().value);
      },
    },
    onLive() {},
    onLost() {},
    onRefused() {},
  });
}

function showBanner(text) {
  // Without its device token the kiosk can show but not issue: say so until it is set up.
  const message = text || (localStorage.getItem(TOKEN_KEY) ? "" : t("not_set_up"))
    || (state.printerOut ? t("printer_out") : "");
  banner.hidden = !message;
  banner.textContent = message;
}

// -- screens ---------------------------------------------------------------------------

function show(render, { remember = true } = {}) {
  state.onKey = null;  // a screen that reads a keyboard-wedge reader sets it again
  if (remember && state.current) state.history.push(state.current);
  state.current = render;
  screen.replaceChildren(...[render()].flat());
  document.querySelector('[data-action="home"]').hidden = render === homeScreen;
  document.querySelector('[data-action="back"]').hidden = state.history.length === 0;
  window.scrollTo(0, 0);
  // For the voice guidance (kiosk-voice.js), where the kiosk has it: it reads the screen's title.
  screen.dispatchEvent(new CustomEvent("kiosk:screen", { detail: { lang: state.lang, home: render === homeScreen } }));
}

function goHome() {
  state.history = [];
  show(homeScreen, { remember: false });
}

// A ticket's screen is the citizen's only until they leave: 返回 leads home (never back to
// 取号, where one more tap makes a second ticket), and it goes home by itself after
// setup.ticketSeconds, counting down, so the next person does not find the ticket and its QR
// code (which rates the service for days).
function showTicket(ticket, item) {
  state.history = [homeScreen];
  show(() => ticketScreen(ticket, item), { remember: false });
  screen.dispatchEvent(new CustomEvent("kiosk:ticket", { detail: { lang: state.lang, ticket } }));
}

function goBack() {
  show(state.history.pop() || homeScreen, { remember: false });
}

function homeScreen() {
  return [
    el("button", { class: "searchbox", onclick: () => show(searchScreen), "data-testid": "search" },
      el("span", { class: "glass", "aria-hidden": "true" }),
      el("span", {}, el("strong", {}, t("search")), el("br"), el("span", { class: "hint secondary" }, t("search_hint")))),
    el("button", { class: "checkin", "data-testid": "checkin", onclick: () => show(checkInScreen) }, t("checkin")),
    el("h2", {}, t("by_department")),
    el("div", { class: "grid departments" }, setup.departments.filter((d) => d.items).map((d) =>
      el("button", { class: "tile", "data-department": d.code, onclick: () => show(() => listScreen(d, { department: d.code })) },
        el("span", { class: "name" }, text(d.name, d.name_en)),
        el("span", { class: "count" }, t("items", { n: d.items }))))),
    el("h2", { class: "secondary" }, t("by_topic")),
    el("div", { class: "grid topics secondary" }, setup.topics.map((topic) =>
      el("button", { class: "tile topic", "data-topic": topic.name, onclick: () => show(() => listScreen(topic, { topic: topic.name })) },
        el("span", { class: "name" }, text(topic.name, topic.name_en)),
        el("span", { class: "count" }, t("items", { n: topic.items }))))),
  ];
}

// The queues' lines now (GET /queues), by code: whether each takes tickets, how many wait and
// how long a ticket taken now would wait, shown before 取号.
async function queuesNow() {
  const response = await api("GET", "/queues");
  return response.ok ? new Map((await response.json()).map((q) => [q.code, q])) : new Map();
}

// What a queue's line is like now, in a few words: "当前等候 5 人 · 约 15 分钟", or why it is closed.
function lineNow(q) {
  if (!q) return "";
  if (!q.taking) return whyClosed(q.closed_why, q.day_off, q.reopens_at) || t("closed");
  const wait = q.waiting === 0 ? t("no_wait")
    : q.estimated_wait_range === null ? null : hallqWait.text(t, q.estimated_wait_range);
  return [t("queue_waiting", { n: q.waiting }), wait].filter(Boolean).join(" · ");
}

function itemList(items, queues = new Map()) {
  if (!items.length) return el("p", { class: "empty" }, t("no_results"));
  return el("div", { class: "list" }, items.map((item) =>
    el("button", { class: "item", "data-item": item.code, onclick: () => openItem(item.id) },
      el("span", { class: "name" }, itemName(item)),
      el("span", { class: "meta" }, timeLimit(item)),
      queues.has(item.queue) ? el("span", { class: "line-now", "data-testid": "line-now" }, lineNow(queues.get(item.queue))) : null)));
}

// The items of a department or a topic (what it is named by: {name, name_en}).
function listScreen(named, filter) {
  const holder = el("div", {}, el("p", { class: "empty" }, "…"));
  const query = new URLSearchParams({ ...filter, limit: "200" });
  Promise.all([api("GET", `/items?${query}`).then((r) => r.json()), queuesNow()])
    .then(([items, queues]) => holder.replaceChildren(itemList(items, queues)));
  return [el("h2", {}, text(named.name, named.name_en)), holder];
}

// -- the search screen: a QWERTY keyboard at the foot of the screen, a pinyin candidate bar, and
// typed Chinese from a keyboard's input method or a handwriting pad ---------------------------

const LETTER_ROWS = ["qwertyuiop", "asdfghjkl", "zxcvbnm"];
const CANDIDATES_SHOWN = 12;

// The catalogue's words with their pinyin ({word: "社保", pinyin: "she bao"}, most used first), for the
// candidate bar: asked on each visit of the search screen, and most often answered by the
// browser's cache (the server's ETag) unless the catalogue changed.
let vocabulary = [];
async function loadVocabulary() {
  const response = await api("GET", "/vocabulary");
  if (response.ok) vocabulary = (await response.json()).words;
}

// The numbers of syllables, from the first, that take all the letters from pos, each syllable
// the beginning of its pinyin (s, sh or she for 社): "sb" and "shebao" end after 社保's two.
function spelledUpTo(letters, syllables, at = 0, pos = 0) {
  if (pos === letters.length) return [at];
  if (at === syllables.length) return [];
  const ends = [];
  const syllable = syllables[at];
  for (let taken = 1; taken <= syllable.length && letters[pos + taken - 1] === syllable[taken - 1]; taken++) {
    ends.push(...spelledUpTo(letters, syllables, at + 1, pos + taken));
  }
  return ends;
}

// The words the letters spell: in full pinyin first (shebao: 社保), then whole by initials or
// parts (sb, shb), then the words they begin (社保卡); in each, the catalogue's order.
function candidatesFor(letters) {
  if (!letters) return [];
  const found = [];
  for (const { word, pinyin } of vocabulary) {
    if (pinyin[0] !== letters[0]) continue;
    const syllables = pinyin.split(" ");
    const ends = spelledUpTo(letters, syllables);
    if (!ends.length) continue;
    const rank = letters === syllables.join("") ? 0 : ends.includes(syllables.length) ? 1 : 2;
    found.push({ word, rank });
  }
  return found.sort((a, b) => a.rank - b.rank).slice(0, CANDIDATES_SHOWN).map((c) => c.word);
}

function searchScreen() {
  const box = el("input", {
    class: "typed", type: "text", "data-testid": "typed", "aria-label": t("search"), placeholder: t("search_placeholder"),
    // The screen's own keyboard types here: no system keyboard pops up over it.
    inputmode: "none", autocomplete: "off", autocapitalize: "off", spellcheck: "false",
  });
  const results = el("div", { class: "results" });
  const candidates = el("div", { class: "candidates", "data-testid": "candidates", role: "group" });
  let searched = "";
  let pending = 0;
  let composing = false;
  // The letters at the end of the box (社保ka: ka), which a candidate replaces.
  const pinyinTyped = () => (/[a-z]+$/i.exec(box.value)?.[0] || "").toLowerCase();
  function offer() {
    const words = candidatesFor(pinyinTyped());
    candidates.replaceChildren(...(words.length
      ? words.map((word) => el("button", { class: "candidate", onclick: () => choose(word) }, word))
      : [el("span", { class: "hint" }, t("candidates_hint"))]));
    // As many as fit whole: a word cut at the edge is no word to tap.
    while (candidates.childElementCount > 1 && candidates.scrollWidth > candidates.clientWidth) {
      candidates.lastChild.remove();
    }
  }
  function choose(word) {
    box.value = box.value.replace(/[a-z]+$/i, word);
    refresh();
  }
  async function refresh() {
    box.focus();  // a keyboard or a reader types into the box, whatever was tapped last
    offer();
    const query = box.value.trim();
    if (query === searched) return;
    searched = query;
    const mine = ++pending;
    results.dataset.query = "";  // what it shows is not the answer to the box any more
    if (!query) { results.replaceChildren(); return; }
    const items = await (await api("GET", `/items?${new URLSearchParams({ q: query, limit: "30" })}`)).json();
    if (mine !== pending) return;  // only the latest answer
    results.replaceChildren(itemList(items));
    results.dataset.query = query;
  }
  // An input method (a keyboard's pinyin, a handwriting pad) composes in the box: the search
  // waits for the composed Chinese, not the pinyin on its way.
  box.addEventListener("compositionstart", () => { composing = true; });
  box.addEventListener("compositionend", () => { composing = false; refresh(); });
  box.addEventListener("input", (event) => { if (!composing && !event.isComposing) refresh(); });
  box.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { box.value = ""; refresh(); }
  });
  // A key pressed while something else has the focus goes to the box.
  state.onKey = (event) => { if (event.target !== box) box.focus(); };
  const key = (label, action, cls = "key") =>
    el("button", { class: cls, onclick: () => { action(); refresh(); } }, label);
  const letter = (c) => key(c, () => { box.value += c; });
  loadVocabulary().then(offer);
  setTimeout(() => box.focus());
  return [
    el("h2", {}, t("search")),
    box,
    results,
    el("div", { class: "dock" },
      candidates,
      el("div", { class: "keyboard letters", role: "group", "data-testid": "keyboard" },
        LETTER_ROWS.slice(0, 2).map((row) => el("div", { class: "row" }, row.split("").map(letter))),
        el("div", { class: "row" }, LETTER_ROWS[2].split("").map(letter),
          key(t("key_delete"), () => { box.value = box.value.slice(0, -1); }, "key wide")),
        el("div", { class: "row" },
          key(t("key_clear"), () => { box.value = ""; }, "key wide"),
          key(t("key_space"), () => { box.value += " "; }, "key space")))),
  ];
}

async function openItem(id) {
  const item = await (await api("GET", `/items/${id}`)).json();
  show(() => itemScreen(item));
}

// The floor plan with these windows lit, drawn by the server (kiosk/views.py hall_map) as an
// image: nothing in a plan can run, fetch or restyle the kiosk from inside an <img>. A new
// visit asks for it again (a manager may have replaced it): a page may reuse an image by address.
let planVisit = 0;
function hallMap(windows) {
  if (!setup.map) return null;
  const lit = windows.map((w) => w.number).join(",");
  const plan = el("img", { src: `${setup.map}?lit=${lit}&visit=${planVisit}`, alt: t("floor_plan") });
  plan.addEventListener("error", () => plan.remove()); // a plan broken since the page loaded
  return el("div", { class: "hall-map", "data-testid": "map" }, plan);
}

function section(title, ...content) {
  return el("section", { class: "section" }, el("h3", {}, title), ...content);
}

function itemScreen(item) {
  const take = el("button", { class: "take", "data-testid": "take",
    onclick: () => withIdNumber(item, (extra) => takeTicket(item, item.needs_id ? null : take, extra)) }, t("take_ticket"));
  const limit = item.kind === "instant" ? t("instant")
    : `${t("commitment", { n: item.promised_limit_days })}` +
      (item.legal_limit_days ? t("bracketed", { text: t("legal_limit", { n: item.legal_limit_days }) }) : "");
  const now = el("p", { class: "line-now", "data-testid": "line-now", role: "status" });
  queuesNow().then((queues) => {
    const q = queues.get(item.queue);
    now.textContent = lineNow(q);
    now.classList.toggle("closed", Boolean(q && !q.taking));
  });
  return el("div", { class: "detail" },
    el("h2", { class: "title" }, itemName(item)),
    now,
    el("div", { class: "facts" },
      el("span", { class: "fact" }, text(item.department_name, item.department_name_en)),
      el("span", { class: "fact" }, timeLimit(item)),
      item.applicant ? el("span", { class: "fact" }, t("applicant"), t("colon"), text(item.applicant, item.applicant_en)) : null),
    section(t("materials"), el("ul", { class: "checklist" }, lines(item, "materials").map((m) => el("li", {}, m))),
      el("button", { class: "print-notice", "data-testid": "print-notice", onclick: (e) => printNotice(item, e.currentTarget) },
        t("print_notice"))),
    item.conditions.length ? section(t("conditions"), el("ul", {}, lines(item, "conditions").map((c) => el("li", {}, c)))) : null,
    section(t("procedure"), el("ol", { class: "steps" }, lines(item, "procedure").map((step) => el("li", {}, step)))),
    section(t("time_limit"), el("p", {}, limit)),
    section(t("fees"), el("p", {}, text(item.fees, item.fees_en)),
      item.fee_basis ? el("p", { class: "secondary" }, t("fee_basis"), t("colon"), text(item.fee_basis, item.fee_basis_en)) : null),
    section(t("basis"), lines(item, "basis").map((b) => el("p", {}, b))),
    item.authority ? section(t("authority"), el("p", {}, text(item.authority, item.authority_en))) : null,
    section(t("windows"), el("p", {}, windowNames(item.windows)), hallMap(item.windows)),
    el("div", { class: "actionbar" },
      take,
      el("button", { class: "green", "data-testid": "priority", onclick: () => show(() => priorityScreen(item)) },
        t("green_channel"))));
}

// The one-time notice (一次性告知单): the materials and conditions on paper.
async function printNotice(item, button) {
  button.disabled = true;
  const response = await api("POST", `/items/${item.id}/notice`, {});
  const job = response.ok ? await response.json() : null;
  showBanner(job && job.queued ? t("notice_printing") : t("notice_failed"));
  setTimeout(() => { button.disabled = false; showBanner(null); }, 8000);
}

// The green channel: who the ticket is for, confirmed by a guide's PIN where the hall asks.
function priorityScreen(item) {
  const kinds = ["senior", "disabled", "military", "green_channel"];
  return [
    el("h2", {}, t("who_priority")),
    el("div", { class: "list" }, kinds.map((kind) =>
      el("button", { class: "item", "data-priority": kind, onclick: () => withIdNumber(item, (extra) => {
        if (setup.priorityPin) show(() => pinScreen(item, kind, extra));
        else takeTicket(item, null, { priority: kind, ...extra });
      }) }, el("span", { class: "name" }, t(`priority_${kind}`))))),
  ];
}

function pinScreen(item, priority, extra = {}) {
  let pin = "";
  const shown = el("div", { class: "typed pin", "data-testid": "pin" });
  const message = el("p", { class: "pin-message", role: "alert" });
  const redraw = () => { shown.textContent = "●".repeat(pin.length); };
  const key = (label, action, cls = "key") => el("button", { class: cls, onclick: () => { action(); redraw(); } }, label);
  const submit = async () => {
    const refused = await takeTicket(item, null, { priority, guide_pin: pin, ...extra });
    if (refused) {
      pin = "";
      redraw();
      message.textContent = refused.error === "too_many_attempts" ? t("pin_locked") : t("wrong_pin");
    }
  };
  return [
    el("h2", {}, t("guide_pin")),
    shown,
    message,
    el("div", { class: "keyboard pinpad" },
      "123456789".split("").map((d) => key(d, () => { if (pin.length < 8) pin += d; })),
      key("⌫", () => { pin = pin.slice(0, -1); }),
      key("0", () => { if (pin.length < 8) pin += "0"; }),
      el("button", { class: "key confirm", onclick: submit }, t("confirm"))),
  ];
}

// 预约签到: the appointment's code, typed on a pad of the characters codes use, or the booker's
// ID card on the kiosk's reader (a keyboard-wedge reader types the number and Enter).
function checkInScreen() {
  let code = "";
  let typed = "";  // what a reader (or a keyboard) types, until its Enter
  const shown = el("div", { class: "typed", "data-testid": "code" });
  const message = el("p", { class: "pin-message", role: "alert" });
  const redraw = () => { shown.textContent = code; };
  const requestId = newRequestId();  // one per screen: a retried check-in finds its ticket
  state.onKey = (event) => {
    if (/^[0-9A-Za-z]$/.test(event.key)) typed += event.key.toUpperCase();
    else if (event.key === "Enter") {
      const read = typed;
      typed = "";
      if (/^\d{17}[\dX]$/.test(read)) submit({ id_number: read });
      else if (read) { code = read.slice(0, 12); redraw(); submit(); }
    }
  };
  const submit = async (byId = null) => {
    if ((!code && !byId) || state.taking) return;
    state.taking = true;
    try {
      const response = byId
        ? await api("POST", "/appointments/check-in", { ...byId, request_id: requestId })
        : await api("POST", `/appointments/${encodeURIComponent(code)}/check-in`, { request_id: requestId });
      const body = await response.json();
      if (response.ok) {
        const item = body.item_id ? await (await api("GET", `/items/${body.item_id}`)).json() : null;
        showTicket(body, item);
      } else {
        const time = (body.opens_at || body.slot_end || "").slice(11, 16);
        message.textContent = body.error === "too_early" ? t("checkin_early", { time })
          : body.error === "too_late" ? t("checkin_late", { time })
          : body.error === "not_found" ? t(byId ? "checkin_no_booking" : "checkin_unknown")
          : response.status === 422 && byId ? t("id_wrong") : t("failed", { reason: body.text || "" });
      }
    } finally {
      state.taking = false;
    }
  };
  const key = (label, action, cls = "key") => el("button", { class: cls, onclick: () => { action(); redraw(); } }, label);
  return [
    el("h2", {}, t("checkin")),
    el("p", { class: "hint" }, t("checkin_hint")),
    shown,
    message,
    el("div", { class: "keyboard codepad" },
      setup.codeAlphabet.split("").map((c) => key(c, () => { if (code.length < 12) code += c; })),
      key("⌫", () => { code = code.slice(0, -1); }, "key wide"),
      key("✕", () => { code = ""; }, "key wide"),
      el("button", { class: "key wide confirm", onclick: () => submit() }, t("confirm"))),
  ];
}

// Anti-hoarding: where the item's queue limits tickets per person, ask for the ID number
// first (typed on the pad, or by a keyboard-wedge ID reader), then go on with `next`.
function withIdNumber(item, next) {
  if (!item.needs_id) return next({});
  show(() => idScreen(item, next));
}

// The number as the screen shows it: the birth date (characters 7 to 14) hidden from whoever
// stands behind, the region and the last four left to check the typing by.
function maskedIdNumber(id) {
  return id.slice(0, 6) + "*".repeat(Math.max(0, Math.min(id.length, 14) - 6)) + id.slice(14);
}

function idScreen(item, next) {
  let id = "";
  const shown = el("div", { class: "typed", "data-testid": "id-number" });
  const message = el("p", { class: "pin-message", role: "alert" });
  const redraw = () => { shown.textContent = maskedIdNumber(id); };
  const add = (c) => { if (id.length < 18) id += c; redraw(); };
  const submit = async () => {
    const refused = await next({ id_number: id });
    if (refused) message.textContent = t("id_wrong");
  };
  const key = (label, action, cls = "key") => el("button", { class: cls, onclick: () => { action(); redraw(); } }, label);
  // A reader types the number and Enter, like a keyboard.
  state.onKey = (event) => {
    if (/^[0-9xX]$/.test(event.key)) add(event.key.toUpperCase());
    else if (event.key === "Backspace") { id = id.slice(0, -1); redraw(); }
    else if (event.key === "Enter") submit();
  };
  return [
    el("h2", {}, t("id_title")),
    el("p", { class: "hint" }, t("id_hint")),
    shown,
    message,
    el("div", { class: "keyboard pinpad" },
      "123456789".split("").map((d) => key(d, () => add(d))),
      key("X", () => add("X")),
      key("0", () => add("0")),
      key("⌫", () => { id = id.slice(0, -1); }),
      el("button", { class: "key confirm wide3", onclick: submit }, t("confirm"))),
  ];
}

// Asked when this kiosk gave a ticket for the same item moments ago: most often the same
// citizen tapping once more, sometimes the next in line.
function againScreen(item, extra) {
  return el("div", { class: "notice", role: "alertdialog", "aria-labelledby": "again-title", "data-testid": "again" },
    el("p", { id: "again-title" }, t("again_title")),
    el("button", {
      class: "done",
      onclick: async () => {
        const refused = await takeTicket(item, null, extra, { again: true });
        if (refused) show(() => refusalScreen(refused));  // a guide's PIN gone stale meanwhile
      },
    }, t("again_yes")),
    el("button", { class: "done-not", onclick: goHome }, t("again_no")));
}

// Returns the refusal when a guide's PIN was wrong (the PIN pad shows it), else nothing.
async function takeTicket(item, button, extra = {}, { again = false } = {}) {
  if (state.taking) return null;  // a second tap while the first is on its way does nothing
  if (!again && Date.now() - (state.taken.get(item.id) || -Infinity) < AGAIN_WITHIN_MS) {
    show(() => againScreen(item, extra));
    return null;
  }
  state.taking = true;
  if (button) {
    button.disabled = true;
    button.textContent = t("taking");
  }
  const requestId = newRequestId();
  try {
    const response = await api("POST", "/tickets", { item_id: item.id, request_id: requestId, ...extra });
    const body = await response.json();
    if (response.ok) {
      state.taken.set(item.id, Date.now());
      showTicket(body, item);
    }
    else if (body.needs === "guide_pin" || body.error === "too_many_attempts") return body;
    else if (response.status === 422 && body.fields?.some((f) => f.field === "id_number")) return body;
    else show(() => refusalScreen(body));
    return null;
  } finally {
    state.taking = false;
  }
}

function ticketScreen(ticket, item) {
  const phone = setup.phonePage.replace("KEY", ticket.key);
  const printNote = el("p", { class: "print-note", role: "status", "data-testid": "print-note" });
  const ticketCard = el("div", { class: "ticket", "data-testid": "ticket", "data-ticket": ticket.id },
    el("div", { class: "label" }, t("your_number"),
      ticket.priority ? el("span", { class: "badge", "data-testid": "priority-badge" }, t("priority_ticket")) : null),
    el("div", { class: "number", "data-testid": "number" }, ticket.number),
    printNote,
    el("dl", {},
      el("dt", {}, t("queue")), el("dd", {}, ticket.item_name ? text(ticket.item_name, ticket.item_name_en) : text(ticket.queue_name, ticket.queue_name_en)),
      el("dt", {}, t("ahead")), el("dd", { "data-testid": "ahead" }, String(ticket.waiting_ahead)),
      el("dt", {}, t("wait")), el("dd", { "data-testid": "wait" }, hallqWait.text(t, ticket.estimated_wait_range)),
      el("dt", {}, t("go_to")), el("dd", {}, windowNames(ticket.windows))),
    el("img", { class: "qr", src: `${phone}/qr.svg`, alt: phone }),
    el("p", { class: "scan" }, t("scan")),
    el("button", { class: "done", onclick: goHome }, t("done")),
    countdown(setup.ticketSeconds));
  followPrinting(ticket, ticketCard, printNote);
  // While they wait, the citizen can check they brought everything.
  const reminder = item && item.materials.length
    ? section(t("bring"), el("ul", { class: "checklist" }, lines(item, "materials").map((m) => el("li", {}, m))))
    : null;
  return [ticketCard, reminder];
}

// "Home in 15 s": counts down while its screen is shown, then goes home.
function countdown(seconds) {
  const node = el("p", { class: "countdown", "data-testid": "countdown" });
  let left = seconds;
  const tick = () => {
    if (!node.isConnected && left < seconds) return;  // the citizen has moved on
    if (left <= 0) return goHome();
    node.textContent = t("home_in", { n: left });
    left -= 1;
    state.countdown = setTimeout(tick, 1000);
  };
  clearTimeout(state.countdown);
  tick();
  return node;
}

// The job's print_done, or null when none comes within `ms` (or the kiosk reconnected, and
// may have missed it).
function printEnd(jobId, ms) {
  if (printsEnded.has(jobId)) return Promise.resolve(printsEnded.get(jobId));
  return new Promise((resolve) => {
    const done = (event) => {
      printWaiters.delete(jobId);
      clearTimeout(timer);
      resolve(event);
    };
    const timer = setTimeout(() => done(null), ms);
    printWaiters.set(jobId, done);
  });
}

// The ticket is valid whatever the printer does; if it fails, the screen becomes the ticket.
async function followPrinting(ticket, card, note) {
  let job = ticket.print;
  if (!job) return;
  note.textContent = t("printing");
  const unprinted = () => {
    card.classList.add("unprinted");
    note.textContent = t("print_failed");
    note.setAttribute("role", "alert");
  };
  // Every printer of the kiosk is out, or its PC is away: the screen is the ticket now. The
  // job still waits, and the note changes if it prints after all.
  if (job.queued && state.printerOut) unprinted();
  if (job.queued) {  // queued or claimed: not ended yet
    const ended = await printEnd(job.job_id, 20000);
    if (!card.isConnected) return;  // the citizen has moved on
    if (ended) job = { ...job, status: ended.status };
    else {  // not heard: ask once
      const response = await api("GET", `/tickets/${ticket.id}`);
      if (response.ok) job = (await response.json()).print || job;
    }
  }
  if (!["printed", "sent"].includes(job.status)) unprinted();  // failed, abandoned, or never heard of
  else {
    card.classList.remove("unprinted");
    note.setAttribute("role", "status");
    note.textContent = t("printed");
  }
}

// Over lunch the afternoon's opening is the whole answer; on a day off, why it is off.
function whyClosed(why, dayOff, reopensAt) {
  const reopens = reopensAt ? reopensAt.slice(11, 16) : "";
  if (why === "break" && reopens) return t("lunch_break", { time: reopens });
  if (why === "day_off" && dayOff) return t("day_off", { reason: dayOff });
  return null;
}

function refusalScreen(error) {
  const lines = [];
  const closed = whyClosed(error.why, error.day_off, error.reopens_at);
  if (closed) lines.push(closed);
  else if (error.why === "session_quota") lines.push(t("session_quota"));
  else if (error.error === "queue_closed") lines.push(t("closed"));
  else if (error.error === "quota_reached") lines.push(t("quota"));
  else if (error.error === "limit_reached") lines.push(t("limit"));
  else lines.push(t("failed", { reason: error.text || "" }));
  if (error.reopens_at && error.why !== "break") {
    const [day, time] = error.reopens_at.slice(0, 16).split("T");
    const today = new Date().toLocaleDateString("sv");  // YYYY-MM-DD in the kiosk's zone
    const when = day === today ? t("today_at", { time }) : t("on_day_at", { day: day.slice(5).replace("-", "/"), time });
    lines.push(t("come_back", { when }));
  }
  return el("div", { class: "notice", role: "alert", "data-testid": "refusal" },
    lines.map((line) => el("p", {}, line)),
    el("button", { class: "done", onclick: goHome }, t("done")));
}

// -- the frame: home, language, large text, idle -----------------------------------------

function relabel() {
  document.querySelector('[data-action="home"]').textContent = t("home");
  document.querySelector('[data-action="back"]').textContent = `‹ ${t("back")}`;
  document.querySelector('[data-action="elderly"]').textContent = t("elderly");
  document.querySelector('[data-action="help"]').textContent = t("help");
  const language = document.querySelector('[data-action="language"]');
  language.textContent = state.lang === "zh" ? "English" : "中文";
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
}

function setLanguage(lang) {
  state.lang = lang;
  relabel();
  show(state.current || homeScreen, { remember: false });
}

document.querySelector(".bar").addEventListener("click", (event) => {
  const action = event.target.closest("[data-action]")?.dataset.action;
  if (action === "home") goHome();
  if (action === "back") goBack();
  if (action === "elderly") document.documentElement.classList.toggle("elderly");
  if (action === "language") setLanguage(state.lang === "zh" ? "en" : "zh");
  if (action === "help") callForHelp();
});

// 求助: a guide is called to this kiosk (an alarm on the managers' dashboard names it).
async function callForHelp() {
  const response = await api("POST", "/help", {});
  showBanner(response.ok ? t("help_called") : t("failed", { reason: (await response.json()).text || "" }));
  setTimeout(() => showBanner(null), 15000);
}

// Idle: back home, in Chinese and normal type, then the hall's notices one after another
// until someone touches the screen; that first touch only ends the slideshow.
const notices = document.querySelector(".notices");

// The notices as the server has them now: a manager may post or withdraw one at any moment, and
// the kiosk asks again before every round of the slideshow. Offline, the last list stands.
async function currentNotices() {
  try {
    const response = await fetch(`${setup.api}/notices`, { headers: { Accept: "application/json" } });
    if (response.ok) setup.notices = await response.json();
  } catch {
    // the banner of the next tap will say the kiosk is offline
  }
  return setup.notices;
}

async function showNotice(index) {
  if (index === 0 && !(await currentNotices()).length) {
    notices.hidden = true;
    return;
  }
  if (notices.hidden) return; // touched while the list was asked for
  const notice = setup.notices[index];
  notices.querySelector(".notice-title").textContent = notice.title;
  notices.querySelector(".notice-text").textContent = notice.text;
  notices.querySelector(".touch").textContent = t("touch_to_start");
  state.noticeTimer = setTimeout(() => showNotice((index + 1) % setup.notices.length), setup.noticeSeconds * 1000);
}

function resetIdle() {
  clearTimeout(state.idleTimer);
  state.idleTimer = setTimeout(() => {
    document.documentElement.classList.remove("elderly");
    if (state.lang !== "zh") setLanguage("zh");
    planVisit += 1;
    goHome();
    notices.hidden = false;
    showNotice(0);
  }, setup.idleSeconds * 1000);
}

// On click, not pointerdown: hidden any earlier, the same tap would land on what lies beneath.
notices.addEventListener("click", (event) => {
  event.stopPropagation();
  clearTimeout(state.noticeTimer);
  notices.hidden = true;
});
for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, resetIdle, { passive: true });
document.addEventListener("keydown", (event) => state.onKey?.(event));

relabel();
showBanner(null);
goHome();
resetIdle();
followKiosk();
