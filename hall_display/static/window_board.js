// The LED-style board over one window: its number and name, the number being called or
// served (blinking at each call and recall), the clerk's name and badge, or why none:
// 暂停服务 (paused, with its reason) apart from 未开放 (nobody signed in).
"use strict";

(() => {
  const { setup, t, fitAll, replay } = board;
  const part = (name) => document.querySelector(`.${name}`);
  const number = part("number");
  let shown = null;

  function headline(w) {
    if (w.state === "paused") return t("state_paused");
    if (w.state === "closed") return t("state_closed");
    return t("welcome");
  }

  function status(w) {
    if (w.state === "paused") return w.pause_reason || "";
    return w.state === "called" || w.state === "serving" ? t(`state_${w.state}`) : "";
  }

  function render(w) {
    shown = w;
    document.body.dataset.state = w.state;
    part("window-name").textContent = (setup.lang === "en" && setup.windowNameEn) || w.name;
    number.textContent = w.current ? w.current.number : "";
    part("headline").textContent = headline(w);
    part("status").textContent = status(w);
    const clerk = w.clerk || {};
    part("clerk-name").textContent = clerk.name || "";
    part("clerk-badge").textContent = clerk.badge ? t("badge", { badge: clerk.badge }) : "";
    showPhoto(clerk.badge, clerk.name);
    fitAll();
  }

  // The clerk's photo if the hall has one for the badge; else their surname in its frame.
  const photo = part("clerk-photo");
  const initial = part("clerk-initial");
  const placeholder = () => (initial.hidden = !photo.hidden || !initial.textContent);
  photo.addEventListener("load", () => { photo.hidden = false; placeholder(); });
  photo.addEventListener("error", () => { photo.hidden = true; placeholder(); });
  function showPhoto(badge, name) {
    initial.textContent = name ? [...name][0] : "";
    const src = badge ? setup.photoBase + encodeURIComponent(badge) : "";
    if (photo.getAttribute("src") !== src) {
      photo.hidden = true;
      if (src) photo.src = src;
      else photo.removeAttribute("src");
    }
    placeholder();
  }

  part("window-no").textContent = t("window", { n: setup.window });
  board.connect({
    state: (state) => render(state.window),
    window_state: render,
    ticket_called(call) {
      render({ ...shown, state: "called", current: { ...(shown.current || {}), number: call.number } });
      number.dataset.calls = Number(number.dataset.calls) + 1;
      replay(number, "blink");
    },
  });
})();
