// What both boards share: their setup and texts, the /hall connection that subscribes again
// on every (re)connect and renders from the acknowledged state, the "connection lost"
// marker, and text that shrinks to fit its box. Vanilla JS, no build step.
"use strict";

const board = (() => {
  const setup = JSON.parse(document.getElementById("board-setup").textContent);

  function t(key, values = {}) {
    const text = setup.strings[key] || key;
    return text.replace(/%\((\w+)\)[ds]/g, (_, name) => String(values[name] ?? ""));
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (name === "class") node.className = value;
      else if (value !== null && value !== undefined) node.setAttribute(name, value);
    }
    node.append(...children.filter((child) => child !== null && child !== undefined));
    return node;
  }

  // Shrinks an element's type until its content fits its box (its CSS size is the largest).
  function fit(node) {
    node.style.fontSize = "";
    let size = parseFloat(getComputedStyle(node).fontSize);
    const overflows = () => node.scrollWidth > node.clientWidth || node.scrollHeight > node.clientHeight;
    for (let step = 0; step < 30 && overflows(); step++) {
      size *= 0.92;
      node.style.fontSize = `${size}px`;
    }
  }

  // Plays a one-off animation class again from its start (a recall blinks anew); the class
  // goes when the animation ends, so a test can see it come back.
  function replay(node, className) {
    node.classList.remove(className);
    void node.offsetWidth; // a reflow, so that adding the class restarts the animation
    node.classList.add(className);
  }
  document.addEventListener("animationend", (event) => {
    if (event.animationName === "blink") event.target.classList.remove("blink");
  });

  function fitAll() {
    document.querySelectorAll(".fit").forEach(fit);
  }
  window.addEventListener("resize", fitAll);

  for (const node of document.querySelectorAll("[data-text]")) node.textContent = t(node.dataset.text);
  const offline = document.querySelector(".offline");
  offline.textContent = t("offline");

  // handlers.state(STATE) renders everything; handlers[event](payload) applies one event.
  // Events that arrive while a subscription waits for its state are applied after it.
  function connect(handlers) {
    const socket = io("/hall", { transports: ["websocket"], reconnectionDelay: 500, reconnectionDelayMax: 2000 });
    let pending = null;
    for (const name of Object.keys(handlers).filter((name) => name !== "state")) {
      socket.on(name, (payload) => (pending ? pending.push([name, payload]) : handlers[name](payload)));
    }
    socket.on("connect", () => {
      pending = [];
      socket.emit("subscribe", setup.subscribe, (ack) => {
        if (!ack || !ack.ok) {
          console.error("subscribe refused", ack);
          return;
        }
        handlers.state(ack.state);
        const queued = pending;
        pending = null;
        for (const [name, payload] of queued) handlers[name](payload);
        offline.hidden = true;
        document.body.dataset.live = "true";
      });
    });
    const lost = () => {
      offline.hidden = false;
      document.body.dataset.live = "false";
    };
    socket.on("disconnect", lost);
    socket.on("connect_error", lost);
  }

  return { setup, t, el, fit, fitAll, replay, connect };
})();
