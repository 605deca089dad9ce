// What the staff pages' scripts share (the clerk's panel, the guide's desk): the API called
// with the login session and its CSRF token, the page's message line, and the catalogue's
// %(name)s placeholders filled in. Vanilla JS, no build step.
"use strict";

const hallqStaff = (() => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;

  // %(name)s, %(n)d and %(s)02d, as the server's translated texts hold them.
  function format(text, values = {}) {
    return text.replace(/%\((\w+)\)(0?\d*)([sd])/g, (_m, name, width, kind) => {
      const value = String(values[name] ?? "");
      return kind === "d" && width ? value.padStart(Number(width), "0") : value;
    });
  }

  // Show `text` in the page's message line (`element`), as an error or as "info"; "" hides it.
  function say(element, text, kind = "error") {
    element.textContent = text;
    element.className = `message ${kind}`;
    element.hidden = !text;
  }

  // One call of /api/v1 (`api` is its prefix): { status, ok, data }, data null for a 204.
  async function request(api, method, path, body) {
    const response = await fetch(api + path, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = response.status === 204 ? null : await response.json();
    return { status: response.status, ok: response.ok, data };
  }

  return { format, say, request };
})();
