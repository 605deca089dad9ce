// The city dashboard: one /hall subscription ({"city": true}, with the login session), every
// hall drawn from its acknowledged state, then a hall's row replaced at each hall_figures. No
// request is made after that: a timer only lets the longest waits grow as time passes.
(() => {
  "use strict";

  const setup = JSON.parse(document.getElementById("city-setup").textContent);
  const S = setup.strings;
  const root = document.querySelector(".city");
  const body = root.querySelector("[data-testid=halls] tbody");
  const halls = new Map(); // hall id → its figures
  let skew = 0; // server clock − this browser's clock

  const minutes = (seconds) =>
    seconds === null || seconds === undefined ? S.none : S.minutes.replace("%(n)s", Math.floor(seconds / 60));

  // When the hall's server last signed its audit trail's head: a day and a time of this browser.
  const anchored = (checkpoint) =>
    checkpoint
      ? new Date(checkpoint.at).toLocaleString(setup.language, {
          month: "numeric",
          day: "numeric",
          hour: "2-digit",
          minute: "2-digit",
        })
      : S.none;

  function draw() {
    const rows = [...halls.values()].sort((a, b) => a.name.localeCompare(b.name, setup.language));
    body.replaceChildren(
      ...rows.map((h) => {
        const row = document.createElement("tr");
        row.dataset.hall = h.code;
        const since = h.longest_waiting_since ? (Date.now() + skew - Date.parse(h.longest_waiting_since)) / 1000 : null;
        const cells = [
          ["name", h.name],
          ["waiting", h.waiting],
          ["serving", h.serving],
          ["served", h.served],
          ["no-show", h.no_show],
          ["windows", `${h.windows_open} / ${h.windows}`],
          ["mean-wait", minutes(h.mean_wait_seconds)],
          ["longest", minutes(since === null ? null : Math.max(0, since))],
          ["alarms", h.open_alarms],
          ["bad", h.bad_ratings],
          ["anchored", anchored(h.audit_checkpoint)],
        ];
        for (const [testid, text] of cells) {
          const td = document.createElement("td");
          td.dataset.testid = testid;
          td.textContent = text;
          if (testid !== "name" && testid !== "anchored") td.className = "num";
          if ((testid === "alarms" || testid === "bad") && text > 0) td.classList.add("alert");
          row.append(td);
        }
        return row;
      }),
    );
  }

  function say(text) {
    const message = root.querySelector("[data-testid=message]");
    message.textContent = text;
    message.hidden = !text;
  }

  hallqLive.connect({
    subscriptions: [{ city: true }],
    handlers: {
      state(state) {
        skew = Date.parse(state.now) - Date.now();
        halls.clear();
        for (const h of state.halls) halls.set(h.hall_id, h);
        draw();
      },
      hall_figures(h) {
        halls.set(h.hall_id, h);
        draw();
      },
    },
    onLive: () => {
      root.dataset.live = "true";
      say("");
    },
    onLost: () => (root.dataset.live = "false"),
    onRefused: (ack) => say(S.failed.replace("%(message)s", ack ? ack.error : S.none)),
  });

  setInterval(draw, 15000);
})();
