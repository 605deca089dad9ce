// The citizen's phone page: the ticket, kept current over Socket.IO.
"use strict";

const setup = JSON.parse(document.getElementById("phone-setup").textContent);
const page = document.querySelector(".ticket");
let ticket = setup.ticket;
let lang = "zh";

function t(key, values = {}) {
  const text = setup.strings[lang][key] || key;
  return text.replace(/%\((\w+)\)[ds]/g, (_, name) => String(values[name] ?? ""));
}

function render() {
  page.dataset.status = ticket.status;
  for (const node of document.querySelectorAll("[data-text]")) node.textContent = t(node.dataset.text);
  page.querySelector(".status").textContent =
    ticket.status === "called" ? t("called", { window: ticket.window.number }) : t(`status_${ticket.status}`);
  const waiting = ticket.status === "waiting";
  page.querySelector(".ahead").textContent = waiting ? String(ticket.waiting_ahead) : "—";
  const wait = ticket.estimated_wait_seconds;
  page.querySelector(".wait").textContent = !waiting ? "—"
    : wait === null ? t("wait_unknown") : t("wait_minutes", { n: Math.max(1, Math.round(wait / 60)) });
  page.querySelector(".windows").textContent = ticket.windows.map((w) => w.name).join("、");
  document.querySelector(".language").textContent = lang === "zh" ? "English" : "中文";
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
}

async function refresh() {
  const response = await fetch(`${setup.api}/tickets/${ticket.id}`, { headers: { Accept: "application/json" } });
  if (response.ok) {
    ticket = await response.json();
    render();
  }
}

document.querySelector(".language").addEventListener("click", () => {
  lang = lang === "zh" ? "en" : "zh";
  render();
});

const socket = io("/hall", { transports: ["websocket"] });
socket.on("connect", () => {
  socket.emit("subscribe", { queue: ticket.queue });  // people ahead change with every call in it
  // Once the server has us in the ticket's room, fetch whatever happened before (or while we
  // were disconnected): from then on no step of the ticket can fall between the two.
  socket.emit("subscribe", { ticket: ticket.id }, refresh);
});
for (const name of ["ticket_called", "ticket_changed", "queue_state"]) socket.on(name, refresh);
render();
