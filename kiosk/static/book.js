// The citizen's booking pages (网上预约): /book chooses a service, a day and a time and books
// it with a name and ID number; /book/<code> shows one booking and cancels it. Both speak to
// the API's /booking operations; times are the hall's, as the API gives them (+08:00).
"use strict";

const setup = JSON.parse(document.getElementById("book-setup").textContent);
const main = document.querySelector(".book");
let lang = "zh";
let redraw = () => {};

function t(key, values = {}) {
  return hallqTexts.format(setup.strings[lang], lang, key, values);
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value !== null && value !== false) node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined));
  return node;
}

// The page's content: nested lists flattened, nothing drawn for a null.
const show = (...parts) => main.replaceChildren(...parts.flat(Infinity).filter((part) => part !== null && part !== undefined));

const hhmm = (iso) => iso.slice(11, 16);
function dayLabel(day) {
  const [y, m, d] = day.split("-").map(Number);
  const weekday = new Intl.DateTimeFormat(lang === "zh" ? "zh-CN" : "en", { weekday: "short", timeZone: "UTC" })
    .format(new Date(Date.UTC(y, m - 1, d)));
  return `${m}/${d} ${weekday}`;
}

async function api(method, path, body) {
  try {
    const response = await fetch(setup.api + path, {
      method,
      // The error texts come in the language on the screen (hallq/error_texts.py).
      headers: { "X-Hallq-Lang": lang === "zh" ? "zh_CN" : "en", ...(body ? { "Content-Type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { ok: response.ok, data: await response.json().catch(() => ({})) };
  } catch {
    return { ok: false, data: { offline: true } };
  }
}

function refusal(data) {
  if (data.offline) return t("offline");
  if (["slot_full", "no_slot", "already_booked"].includes(data.why)) return t(data.why);
  if (data.why === "no_show_block") return t("no_show_block", { day: data.blocked_until });
  if ((data.fields || []).some((f) => f.field === "id_number")) return t("id_wrong");
  return t("failed", { reason: data.text || "" });
}

// -- choosing and booking ------------------------------------------------------------------

const choice = { items: [], item: null, days: [], day: null, slots: [], slot: null, error: "", remoteError: "" };

async function loadItems() {
  const answer = await api("GET", "/booking/items");
  choice.items = answer.ok ? answer.data : [];
  chooser();
}

async function loadSlots(day) {
  const query = `item_id=${choice.item.id}` + (day ? `&day=${day}` : "");
  const answer = await api("GET", `/booking/slots?${query}`);
  if (!answer.ok) return;
  Object.assign(choice, { days: answer.data.days, day: answer.data.day, slots: answer.data.slots, slot: null });
  chooser();
}

function chooser() {
  redraw = chooser;
  const byDepartment = new Map();
  for (const item of choice.items) {
    if (!byDepartment.has(item.department)) byDepartment.set(item.department, []);
    byDepartment.get(item.department).push(item);
  }
  const pick = (item) => () => {
    Object.assign(choice, { item, error: "", remoteError: "", days: [], slots: [], slot: null });
    if (item.slots) loadSlots(null);
    else chooser();
  };
  show(
    el("h1", {}, t("book_title")),
    el("p", { class: "hint" }, t("book_hint")),
    el("h2", {}, t("choose_item")),
    choice.items.length ? null : el("p", {}, t("no_items")),
    [...byDepartment].map(([department, items]) => el("section", { class: "department" },
      el("h3", {}, hallqTexts.pick(lang, department, items[0].department_en)),
      items.map((item) => el("button", {
        type: "button", class: "choice", "aria-pressed": String(choice.item?.id === item.id), onclick: pick(item),
      }, hallqTexts.pick(lang, item.name, item.name_en))))),
    choice.item?.remote ? remoteTicket() : null,
    choice.item?.slots ? daysAndSlots() : null,
  );
}

// 远程取号: a ticket now, in no line until its holder arrives at the hall.
function remoteTicket() {
  return el("form", { class: "details remote", "data-testid": "remote", onsubmit: takeRemote },
    el("h2", {}, t("remote_title")),
    el("p", { class: "hint" }, t("remote_hint", { n: setup.remoteGraceMinutes })),
    el("label", {}, t("id_number"), el("input", { name: "id_number", required: true, maxlength: 18, autocomplete: "off" })),
    choice.remoteError ? el("p", { class: "error", role: "alert", "data-testid": "remote-error" }, choice.remoteError) : null,
    el("button", { type: "submit", class: "primary" }, t("remote_take")));
}

async function takeRemote(event) {
  event.preventDefault();
  const id = event.target.elements.id_number.value.trim();
  const answer = await api("POST", "/remote-tickets", { item_id: choice.item.id, id_number: id });
  if (answer.ok) {
    window.location.assign(setup.ticketPage.replace("KEY", answer.data.key));
    return;
  }
  const data = answer.data;
  choice.remoteError = data.why === "remote_limit" ? t("remote_limit")
    : data.error === "queue_closed" ? t("remote_closed") : refusal(data);
  chooser();
  const again = main.querySelector("form.remote");
  if (again) again.elements.id_number.value = id;
}

function daysAndSlots() {
  if (!choice.days.length) return el("p", { "data-testid": "no-days" }, t("no_days"));
  return [
    el("h2", {}, t("choose_day")),
    el("div", { class: "choices", "data-testid": "days" }, choice.days.map((day) => el("button", {
      type: "button", class: "choice", "data-day": day, "aria-pressed": String(day === choice.day),
      onclick: () => loadSlots(day),
    }, dayLabel(day)))),
    el("h2", {}, t("choose_slot")),
    el("div", { class: "choices", "data-testid": "slots" }, choice.slots.map((slot) => el("button", {
      type: "button", class: "choice slot", "data-start": hhmm(slot.start), disabled: slot.left <= 0,
      "aria-pressed": String(slot === choice.slot),
      onclick: () => { choice.slot = slot; choice.error = ""; chooser(); },
    }, `${hhmm(slot.start)}–${hhmm(slot.end)}`, el("small", {}, slot.left > 0 ? t("left", { n: slot.left }) : t("full"))))),
    choice.slot ? details() : null,
  ];
}

function details() {
  const form = el("form", { class: "details", "data-testid": "details", onsubmit: submit },
    el("h2", {}, t("your_details")),
    el("label", {}, t("name"), el("input", { name: "name", required: true, maxlength: 60, autocomplete: "name" })),
    el("label", {}, t("id_number"), el("input", { name: "id_number", required: true, maxlength: 18, inputmode: "text", autocomplete: "off" })),
    el("p", { class: "hint" }, t("id_kept")),
    choice.error ? el("p", { class: "error", role: "alert", "data-testid": "error" }, choice.error) : null,
    el("button", { type: "submit", class: "primary" }, t("book")));
  return form;
}

async function submit(event) {
  event.preventDefault();
  const form = event.target;
  const body = {
    item_id: choice.item.id,
    slot_start: choice.slot.start,
    name: form.elements.name.value.trim(),
    id_number: form.elements.id_number.value.trim(),
  };
  const answer = await api("POST", "/booking", body);
  if (answer.ok) {
    window.location.assign(setup.page.replace("CODE", answer.data.code));
    return;
  }
  choice.error = refusal(answer.data);
  if (answer.data.why === "slot_full") { await loadSlots(choice.day); choice.error = t("slot_full"); }
  const kept = { name: body.name, id: body.id_number };
  chooser();
  const again = main.querySelector("form.details");
  if (again) { again.elements.name.value = kept.name; again.elements.id_number.value = kept.id; }
}

// -- one booking ---------------------------------------------------------------------------

function bookingCard() {
  redraw = bookingCard;
  const b = setup.booking;
  const over = new Date(b.slot_end) <= new Date();
  const state = b.status === "cancelled" ? t("cancelled") : b.status === "checked_in" ? t("checked_in") : t("booked");
  show(el("div", { class: "ticket booking", "data-status": b.status, "data-testid": "booking" },
    el("p", { class: "label" }, t("code")),
    el("p", { class: "number", "data-testid": "code" }, b.code),
    b.status === "booked" ? el("img", { class: "qr", src: setup.qr.replace("CODE", b.code), alt: b.code, width: 160, height: 160, "data-testid": "qr" }) : null,
    el("p", { class: "status", role: "status" }, state),
    b.off_calendar ? el("p", { class: "warning", role: "alert", "data-testid": "off-calendar" },
      b.day_off ? t("day_closed", { reason: b.day_off }) : t("hours_changed")) : null,
    b.status === "booked" && !b.off_calendar ? el("p", { class: "hint" }, t("show_code")) : null,
    el("dl", {},
      el("dt", {}, t("service")), el("dd", {}, hallqTexts.pick(lang, b.item_name, b.item_name_en)),
      el("dt", {}, t("when")), el("dd", { "data-testid": "when" },
        `${dayLabel(localIso(b.slot_start).slice(0, 10))} ${hhmm(localIso(b.slot_start))}–${hhmm(localIso(b.slot_end))}`),
      el("dt", {}, t("bring")), el("dd", {}, el("ul", {}, hallqTexts.pickLines(lang, b.materials, b.materials_en).map((m) => el("li", {}, m))))),
    b.status === "booked" ? el("p", { class: "hint" }, t("bookmark")) : null,
    b.status === "booked" && !over ? el("button", { type: "button", class: "secondary", onclick: cancel }, t("cancel")) : null,
  ));
}

// The API gives stored moments in UTC; the booking shows them in the hall's time zone.
function localIso(iso) {
  const parts = new Intl.DateTimeFormat("sv-SE", {
    timeZone: setup.timezone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  }).format(new Date(iso));
  return parts.replace(" ", "T");
}

async function cancel() {
  if (!window.confirm(t("cancel_confirm"))) return;
  const answer = await api("POST", `/booking/${setup.booking.code}/cancel`);
  if (answer.ok) setup.booking = answer.data;
  bookingCard();
}

// -- 我已到达: at the door, the booking remembered by this phone (or its code) checks in ------

const REMEMBERED = "hallq.bookings";
function remembered() {
  try { return JSON.parse(localStorage.getItem(REMEMBERED)) || []; } catch { return []; }
}
function remember(code) {
  const codes = [code, ...remembered().filter((c) => c !== code)].slice(0, 5);
  try { localStorage.setItem(REMEMBERED, JSON.stringify(codes)); } catch { /* private mode: the code is typed */ }
}

let arrivalMessage = "";
function arrival() {
  redraw = arrival;
  const codes = remembered();
  const tickets = rememberedTickets();
  const typed = el("input", { name: "code", maxlength: 12, autocomplete: "off", "aria-label": t("code") });
  show(
    el("h1", {}, t("arrive_title")),
    el("p", { class: "hint" }, t("arrive_hint")),
    tickets.map((ticket) => el("button", { type: "button", class: "primary arrive", onclick: () => arriveRemote(ticket.key) },
      t("arrive_ticket", { number: ticket.number }))),
    codes.map((code) => el("button", { type: "button", class: "primary arrive", "data-code": code, onclick: () => arrive(code) },
      t("arrive_with", { code }))),
    el("form", { class: "details", onsubmit: (event) => { event.preventDefault(); arrive(typed.value.trim().toUpperCase()); } },
      el("label", {}, t("code"), typed),
      el("button", { type: "submit", class: codes.length || tickets.length ? "secondary" : "primary" }, t("arrived"))),
    arrivalMessage ? el("p", { class: "error", role: "alert", "data-testid": "error" }, arrivalMessage) : null,
  );
}

function rememberedTickets() {
  try { return JSON.parse(localStorage.getItem("hallq.tickets")) || []; } catch { return []; }
}

async function arriveRemote(key) {
  const answer = await api("POST", `/tickets/by-key/${encodeURIComponent(key)}/arrive`, { door: setup.door });
  if (answer.ok || answer.data.error === "invalid_state") {  // arrived now, or already in line
    window.location.assign(setup.ticketPage.replace("KEY", key));
    return;
  }
  arrivalMessage = answer.data.offline ? t("offline") : t("failed", { reason: answer.data.text || "" });
  arrival();
}

async function arrive(code) {
  if (!code) return;
  const answer = await api("POST", `/booking/${encodeURIComponent(code)}/arrive`, { door: setup.door });
  if (answer.ok) {
    window.location.assign(setup.ticketPage.replace("KEY", answer.data.key));
    return;
  }
  const data = answer.data;
  const time = (data.opens_at || data.slot_end || "").slice(11, 16);
  arrivalMessage = data.offline ? t("offline")
    : data.error === "too_early" ? t("arrive_early", { time })
    : data.error === "too_late" ? t("arrive_late", { time })
    : data.error === "not_found" ? t("arrive_unknown")
    : t("failed", { reason: data.text || "" });
  arrival();
}

// -- the frame -------------------------------------------------------------------------------

const language = document.querySelector(".language");
function relabel() {
  language.textContent = lang === "zh" ? "English" : "中文";
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
}
language.addEventListener("click", () => { lang = lang === "zh" ? "en" : "zh"; relabel(); redraw(); });
relabel();
if (setup.door) arrival();
else if (setup.booking) { remember(setup.booking.code); bookingCard(); }
else loadItems();
