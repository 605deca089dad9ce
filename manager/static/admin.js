// The administration pages: thin clients of the JSON API. A form.admin-form is sent as its
// API payload (data-method, data-path with {field} filled from the form's data-type="path"
// inputs; data-upload sends the form's file as multipart instead); a box of the window grid
// sets that window's queues. After a change the page says so (data-done names the message,
// filled from the answer) and offers to undo it by sending back what it showed before;
// data-confirm asks first; data-answer names an element whose [data-field] children show the
// answer (a token shown once). A refusal shows the API's message and its list of problems.
(() => {
  "use strict";
  const setup = JSON.parse(document.getElementById("admin-setup").textContent);
  const S = setup.strings;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const toast = document.querySelector("[data-testid=toast]");
  const format = (text, values) => text.replace(/%\((\w+)\)s/g, (_, key) => values[key]);

  async function send(method, path, body) {
    const upload = body instanceof FormData; // the browser sets its multipart boundary itself
    const response = await fetch(setup.api + path, {
      method,
      credentials: "same-origin",
      headers: upload ? { "X-CSRFToken": csrf } : { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: upload ? body : JSON.stringify(body),
    });
    return { ok: response.ok, data: await response.json().catch(() => ({ message: response.statusText })) };
  }

  function say(text, undo, problems = []) {
    toast.hidden = false;
    toast.dataset.kind = undo === false ? "error" : "ok";
    toast.querySelector(".text").textContent = text;
    let list = toast.querySelector("ul.problems");
    if (!list) list = toast.appendChild(Object.assign(document.createElement("ul"), { className: "problems" }));
    list.dataset.testid = "problems";
    list.replaceChildren(...problems.map((problem) => Object.assign(document.createElement("li"), { textContent: problem })));
    const button = toast.querySelector(".undo");
    button.hidden = typeof undo !== "function";
    button.onclick = typeof undo === "function" ? undo : null;
  }

  // Sends a change; on success offers `revert` (a function making the opposite change).
  async function change(method, path, body, done, revert) {
    let answer;
    try {
      answer = await send(method, path, body);
    } catch {
      say(S.offline, false);
      return null;
    }
    if (answer.data.error === "weak_password") {
      say(S.weak_password, false, answer.data.weaknesses.map((weakness) => S.weaknesses[weakness]));
      return null;
    }
    if (!answer.ok) {
      say(format(S.failed, { message: answer.data.text || "" }), false, answer.data.problems);
      return null;
    }
    say(done(answer.data), revert && (() => revert()));
    return answer.data;
  }

  // -- forms ------------------------------------------------------------------------------

  const readers = {
    int: (input) => Number(input.value),
    "int?": (input) => (input.value === "" ? null : Number(input.value)),
    "time?": (input) => (input.value === "" ? null : input.value),
    bool: (input) => input.checked,
    json: (input) => JSON.parse(input.value),
    words: (input) => input.value.split(/[\s,，]+/).filter(Boolean),
    lines: (input) => input.value.split("\n").map((line) => line.trim()).filter(Boolean),
  };

  // Dotted names nest ("hours.open", "range.0"); an object left with nothing but nulls is null.
  function payload(form) {
    const body = {};
    const path = {};
    for (const input of form.querySelectorAll("input[name], textarea[name], select[name]")) {
      const type = input.dataset.type || "text";
      if (type === "path") {
        path[input.name] = input.value.trim();
        continue;
      }
      const value = (readers[type] || ((i) => i.value))(input);
      const keys = input.name.split(".");
      let node = body;
      keys.slice(0, -1).forEach((key, i) => (node = node[key] ??= /^\d+$/.test(keys[i + 1]) ? [] : {}));
      node[keys.at(-1)] = value;
    }
    for (const [key, value] of Object.entries(body))
      if (value && typeof value === "object" && !Array.isArray(value) && Object.values(value).every((v) => v === null))
        body[key] = null;
    const target = form.dataset.path.replace(/\{(\w+)\}/g, (_, key) => encodeURIComponent(path[key]));
    return { target, body };
  }

  for (const form of document.querySelectorAll("form.admin-form")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
      const { target, body } = form.dataset.upload !== undefined ? { target: form.dataset.path, body: new FormData(form) } : payload(form);
      const method = form.dataset.method;
      const before = form.dataset.before ? JSON.parse(form.dataset.before) : null;
      const revert = before && (() => change(method, target, before, () => S.undone).then(reloadIf(form)));
      const done = (data) => format(S[form.dataset.done] || S.saved, data);
      const saved = await change(method, target, body, done, revert);
      if (saved && form.dataset.answer) show(document.querySelector(form.dataset.answer), saved);
      if (saved && form.dataset.reload !== undefined && !before) location.reload();
    });
  }

  function show(box, answer) {
    for (const field of box.querySelectorAll("[data-field]")) {
      const value = answer[field.dataset.field] ?? "";
      if (field.tagName === "A") field.href = value;
      if (field.tagName === "IMG") field.src = value;
      else field.textContent = value;
      field.hidden = value === "";
    }
    box.hidden = false;
  }

  const reloadIf = (form) => (answer) => answer && form.dataset.reload !== undefined && location.reload();

  // -- the window grid --------------------------------------------------------------------

  const served = setup.windows || {};

  async function setQueues(window, queues) {
    const previous = served[window];
    const answer = await change(
      "PUT",
      `/windows/${window}/queues`,
      { queues },
      (data) => format(S.window_queues, { window, queues: data.queues.map((q) => q.code).join(" ") }),
      () => setQueues(window, previous),
    );
    if (answer) served[window] = answer.queues;
    for (const box of document.querySelectorAll(`input[data-window="${window}"][data-queue]`))
      box.checked = served[window].some((q) => q.code === box.dataset.queue);
  }

  for (const box of document.querySelectorAll("input[data-window][data-queue]")) {
    box.addEventListener("change", () => {
      const window = box.dataset.window;
      const now = served[window].filter((q) => q.code !== box.dataset.queue);
      // A queue added goes last in the window's order of preference: its own queues come first.
      if (box.checked) now.push({ code: box.dataset.queue, weight: null });
      setQueues(window, now);
    });
  }
})();
