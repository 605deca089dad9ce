// The citizen's phone page: the ticket, kept current over Socket.IO; once it is finished, the
// rating of its service (the widget it shares with the window's keypad, rating.js).
"use strict";

const setup = JSON.parse(document.getElementById("phone-setup").textContent);
const page = document.querySelector(".ticket");
let ticket = setup.ticket;
let lang = "zh";

function t(key, values = {}) {
  return hallqTexts.format(setup.strings[lang], lang, key, values);
}

function render() {
  page.dataset.status = ticket.status;
  remindersSection.hidden = !["waiting", "remote", "called"].includes(ticket.status);
  postponeSection.hidden = !(setup.postponePlaces > 0 && ticket.status === "waiting");
  postponeAsk.hidden = postponed;  // once only
  for (const node of document.querySelectorAll("[data-text]")) node.textContent = t(node.dataset.text);
  page.querySelector(".status").textContent =
    ticket.status === "called" ? t("called", { window: ticket.window.number }) : t(`status_${ticket.status}`);
  const waiting = ticket.status === "waiting";
  const inLine = waiting || ticket.status === "remote";  // a remote ticket's place is kept
  page.querySelector(".ahead").textContent = inLine ? String(ticket.waiting_ahead) : "—";
  page.querySelector(".wait").textContent = waiting ? hallqWait.text(t, ticket.estimated_wait_range) : "—";
  page.querySelector(".item").replaceChildren(ticket.item_name
    ? hallqTexts.pick(lang, ticket.item_name, ticket.item_name_en) : hallqTexts.pick(lang, ticket.queue_name, ticket.queue_name_en));
  page.querySelector(".windows").textContent = hallqTexts.windowNames(lang, t, ticket.windows);
  document.querySelector(".language").textContent = lang === "zh" ? "English" : "中文";
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  renderRating();
}

// -- rating the service, once the ticket is finished -------------------------------------

const rateSection = document.querySelector(".rate");
let rating = null; // GET …/evaluation: {status, score, can_rate, rate_until, reasons}
let widget = null;

async function loadRating() {
  const response = await fetch(setup.rating, { headers: { Accept: "application/json" } });
  if (!response.ok) return; // 404: not served (a no-show, a cancelled ticket)
  rating = await response.json();
  render();
}

function renderRating() {
  rateSection.hidden = !rating;
  if (!rating) return;
  if (rating.can_rate && !widget) {
    widget = HallqRating.create({ t, reasons: rating.reasons, send: sendRating });
    rateSection.querySelector(".rating-slot").append(widget.node);
  }
  if (widget) {
    widget.node.hidden = !rating.can_rate;
    widget.relabel();
  }
  const level = rating.score ? t(`level_${rating.score}`) : "";
  const said = rating.status === "rated" ? t("rated", { level })
    : rating.status === "defaulted" ? t("rated_default", { level })
    : rating.can_rate ? t("rate_prompt") : t("rate_over");
  rateSection.dataset.status = rating.status;
  rateSection.querySelector(".rate-state").textContent = said;
  const until = new Date(rating.rate_until).toLocaleString(lang === "zh" ? "zh-CN" : "en", {
    timeZone: setup.timezone, month: "long", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false,
  });
  rateSection.querySelector(".rate-until").textContent = rating.can_rate ? t("rate_until", { time: until }) : "";
}

// The widget's send: resolves to null once the page shows the outcome, or to a text it shows.
async function sendRating(body) {
  let response;
  try {
    response = await fetch(setup.rating, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-Hallq-Lang": lang === "zh" ? "zh_CN" : "en" },
      body: JSON.stringify(body),
    });
  } catch (error) {
    return t("rate_failed");
  }
  const answer = await response.json().catch(() => ({}));
  if (response.status === 201) {
    rating = { ...rating, status: answer.status, score: answer.score, can_rate: false };
    render();
    return null;
  }
  if (response.status === 409) { // rated on the keypad meanwhile, or too late: say where it stands
    await loadRating();
    return null;
  }
  return answer.text || t("rate_failed");
}

// Seconds per place in the line, from the server's last estimate: the page keeps the estimate
// in step with the people ahead that the events tell it, and re-reads it after a reconnect.
// -- alerts: come back, and you are called ------------------------------------------------
// The citizen may step out while they wait. The page alerts them when setup.remindAhead
// people are ahead and when they are called: a banner, vibration, a chime, a system
// notification where they allowed it (after tapping 提醒我), and a flashing tab title.

const alertBox = page.querySelector(".alert");
const remindersSection = document.querySelector(".reminders");
const remindButton = remindersSection.querySelector(".remind-me");
const remindState = remindersSection.querySelector(".reminders-state");
const plainTitle = document.title;
let chime = null;  // an AudioContext: browsers allow sound only after a tap on the page
let flashing = null;
let lastAhead = null;  // people ahead when last seen: the alert is for passing the mark

function enableReminders() {
  try {
    chime = chime || new (window.AudioContext || window.webkitAudioContext)();
    chime.resume();
  } catch { /* no sound on this phone: vibration and the banner remain */ }
  if ("Notification" in window && Notification.permission === "default") Notification.requestPermission();
  remindButton.hidden = true;
  remindState.textContent = t("alerts_enabled");
}

function ring() {
  if (!chime) return;
  for (let n = 0; n < 3; n += 1) {
    const tone = chime.createOscillator();
    const loudness = chime.createGain();
    const at = chime.currentTime + n * 0.4;
    tone.frequency.value = 880;
    loudness.gain.setValueAtTime(0.4, at);
    loudness.gain.exponentialRampToValueAtTime(0.001, at + 0.3);
    tone.connect(loudness).connect(chime.destination);
    tone.start(at);
    tone.stop(at + 0.3);
  }
}

function alertCitizen(text, title) {
  alertBox.textContent = text;
  alertBox.hidden = false;
  navigator.vibrate?.([400, 200, 400, 200, 400]);
  ring();
  if ("Notification" in window && Notification.permission === "granted") {
    try {
      new Notification(title, { body: text, tag: `hallq-${ticket.id}` });
    } catch { /* Android's Chrome shows notifications from a service worker only */ }
  }
  clearInterval(flashing);
  let shown = false;
  flashing = setInterval(() => {
    shown = !shown;
    document.title = shown ? title : plainTitle;
  }, 1000);
}

function stopFlashing() {
  clearInterval(flashing);
  document.title = plainTitle;
}

// After each change: passing the mark of people ahead alerts once; a call alerts each time
// (a recall too), from onCalled.
function checkAhead() {
  const ahead = ticket.status === "waiting" ? ticket.waiting_ahead : null;
  const mark = setup.remindAhead;
  if (ahead !== null && mark > 0 && lastAhead !== null && lastAhead > mark && ahead <= mark && ahead > 0) {
    alertCitizen(t("alert_ahead", { n: ahead }), t("title_ahead", { n: ahead, number: ticket.number }));
  }
  if (ahead !== null) lastAhead = ahead;
  if (ticket.status !== "waiting" && ticket.status !== "called") alertBox.hidden = true;
}

function alertCalled() {
  alertCitizen(t("alert_called", { window: hallqTexts.windowName(lang, t, ticket.window) }), t("title_called", { number: ticket.number }));
}

remindButton.addEventListener("click", enableReminders);

// -- 我需要多一点时间: the ticket moves back setup.postponePlaces places, once ----------------

const postponeSection = document.querySelector(".postpone");
const postponeAsk = postponeSection.querySelector(".postpone-ask");
const postponeExplain = postponeSection.querySelector(".postpone-explain");
const postponeYes = postponeSection.querySelector(".postpone-yes");
const postponeSaid = postponeSection.querySelector(".postpone-said");
let postponed = false;

postponeAsk.addEventListener("click", () => {
  postponeExplain.textContent = t("postpone_explain", { n: setup.postponePlaces });
  postponeExplain.hidden = postponeYes.hidden = false;
});
postponeYes.addEventListener("click", async () => {
  postponeYes.disabled = true;
  let answer = {};
  let response = null;
  try {
    response = await fetch(`${setup.api}/tickets/by-key/${encodeURIComponent(setup.key)}/postpone`, {
      method: "POST",
      headers: { Accept: "application/json", "X-Hallq-Lang": lang === "zh" ? "zh_CN" : "en" },
    });
    answer = await response.json();
  } catch { /* said below */ }
  postponeYes.disabled = false;
  postponeExplain.hidden = postponeYes.hidden = true;
  if (response && response.ok) {
    postponed = true;
    take(answer);
    postponeSaid.textContent = t("postponed", { n: answer.waiting_ahead });
  } else {
    postponeSaid.textContent = answer.text || t("offline");
  }
});
document.addEventListener("pointerdown", stopFlashing);

let perPlace = null; // the wait range's [low, high] per person ahead, as the server last said

function take(read) {
  const wasCalled = ticket.status === "called";
  ticket = read;
  perPlace = ticket.waiting_ahead > 0 && ticket.estimated_wait_range
    ? ticket.estimated_wait_range.map((seconds) => seconds / ticket.waiting_ahead) : null;
  render();
  checkAhead();
  if (ticket.status === "called" && !wasCalled && ticket.window) alertCalled();  // while asleep
  // Also after every (re)subscription: a rating made on the keypad meanwhile shows.
  if (ticket.status === "finished") loadRating();
}

// The ticket's own steps heard on the socket. A read that began before one of them may answer
// after it (HTTP and the socket are two roads): taking it would put the ticket back a step, and
// no later message would mend that. Such a read is made again instead.
let stepsHeard = 0;

async function refresh() {
  const before = stepsHeard;
  const response = await fetch(`${setup.api}/tickets/${ticket.id}`, { headers: { Accept: "application/json" } });
  if (!response.ok) return;
  const read = await response.json();
  if (stepsHeard !== before) return refresh();
  take(read);
}

// The queue's line, in call order, comes with each change of the queue: our place in it is
// the people ahead. A ticket sent to one window waits in that window's line, not in this.
function onQueueState(queue) {
  if (queue.queue !== ticket.queue || ticket.status !== "waiting") return;
  const place = queue.line.indexOf(ticket.id);
  if (place < 0) return;
  ticket.waiting_ahead = place;
  // The forecast grows with the people ahead: scaled to the new place until the server's next answer.
  if (perPlace) ticket.estimated_wait_range = perPlace.map((seconds) => Math.round(place * seconds));
  render();
  checkAhead();
}

function onCalled(call) {
  if (call.ticket_id !== ticket.id) return; // another's call: its queue_state follows
  stepsHeard += 1;
  Object.assign(ticket, {
    status: "called", waiting_ahead: 0, estimated_wait_seconds: 0, estimated_wait_range: [0, 0],
    // The call names the window in Chinese; its English name is the queue's windows' own.
    window: { name_en: "", ...ticket.windows.find((w) => w.number === call.window), number: call.window, name: call.window_name },
    called_at: call.at,
  });
  render();
  alertCalled();
}

function onChanged(change) {
  if (change.ticket_id !== ticket.id) return;
  stepsHeard += 1;
  if (change.step === "transferred") {
    // Another queue or one window's line, and other windows to go to: read them once.
    if (change.queue !== ticket.queue) socket.emit("subscribe", { queue: change.queue });
    ticket.queue = change.queue;
    return refresh();
  }
  ticket.status = change.status;
  if (change.status === "waiting") ticket.window = null; // put back in line: queue_state follows
  render();
  checkAhead();
  if (ticket.status === "finished") loadRating();
}

document.querySelector(".language").addEventListener("click", () => {
  lang = lang === "zh" ? "en" : "zh";
  render();
});

const socket = io("/hall", { transports: ["websocket"] });
socket.on("connect", () => {
  socket.emit("subscribe", { queue: ticket.queue }); // its line moves with every call in it
  // Once the server has us in the ticket's room, read whatever happened before (or while we
  // were disconnected): from then on no step of the ticket can fall between the two.
  socket.emit("subscribe", { ticket: setup.key }, refresh);
});
socket.on("queue_state", onQueueState);
socket.on("ticket_called", onCalled);
socket.on("ticket_changed", onChanged);
// Rated on the window's keypad (or the keypad's time ran out): show what the page may do now.
socket.on("evaluation_closed", loadRating);
// A phone that slept may have missed the socket's last messages: read the ticket again as
// soon as the page is shown (the socket reconnects, and resubscribes, by itself).
document.addEventListener("visibilitychange", () => {
  if (!document.hidden) refresh();
});
take(ticket);

// A remote ticket (远程取号) is remembered on this phone, so that the page behind the hall
// door's QR code (/arrive) offers it with one tap.
if (ticket.status === "remote") {
  try {
    const kept = JSON.parse(localStorage.getItem("hallq.tickets")) || [];
    const others = kept.filter((t) => t.key !== setup.key);
    localStorage.setItem("hallq.tickets", JSON.stringify([{ key: setup.key, number: ticket.number }, ...others].slice(0, 5)));
  } catch { /* private mode: the ID card at a kiosk does it */ }
}
