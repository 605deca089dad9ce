// What both boards share: their setup and texts, the /hall connection (live.js), the
// "connection lost" marker, and text that shrinks to fit its box. Vanilla JS, no build step.
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
  function connect(handlers) {
    const live = (on) => {
      offline.hidden = on;
      document.body.dataset.live = String(on);
    };
    hallqLive.connect({
      subscriptions: [setup.subscribe],
      handlers,
      onLive: () => live(true),
      onLost: () => live(false),
      onRefused: (ack) => console.error("subscribe refused", ack),
    });
  }

  return { setup, t, el, fit, fitAll, replay, connect };
})();
