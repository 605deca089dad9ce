// The rating widget that the window's keypad (/keypad/<n>) and the ticket's phone page (/t/<key>)
// share: the national five levels as five equally weighted buttons, each a face and a word.
// 基本满意 and better send at once; 不满意 and 非常不满意 (a bad rating, 差评) first ask for reasons
// from the hall's list and an optional comment, and need one or the other.
//
// The national rule: a keypad never hints. No level is highlighted, focused, preselected or
// set apart; all five look the same and stand in the scale's own order.
//
//   const widget = HallqRating.create({ t, reasons, send });
//   container.append(widget.node);
//
// t(key, values) gives the page's texts (evaluation/strings.py RATING); send({score, reasons,
// comment}) posts the rating and resolves to null when the page takes over (rated, refused
// for good) or to a text the widget shows under the buttons (e.g. "could not be sent").
// Vanilla JS, no build step.
"use strict";

const HallqRating = (() => {
  const LEVELS = [5, 4, 3, 2, 1]; // 非常满意 满意 基本满意 不满意 非常不满意
  const BAD = [2, 1];
  const COMMENT_LIMIT = 500;
  const SVG = "http://www.w3.org/2000/svg";
  // How far each level's mouth curves (up: a smile, down: a frown) and where it sits.
  const MOUTHS = { 5: [24, 60], 4: [12, 63], 3: [0, 66], 2: [-12, 72], 1: [-22, 76] };

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    return node;
  }

  // A face outlined in the key's ink, its disc in the level's colour (rating.css): every level
  // the same size and weight, only the scale's hue telling them apart.
  function face(score) {
    const [curve, y] = MOUTHS[score];
    const icon = svg("svg", { viewBox: "0 0 100 100", class: "face", "aria-hidden": "true", focusable: "false" });
    icon.append(
      svg("circle", { class: "disc", cx: 50, cy: 50, r: 45, fill: "none", stroke: "currentColor", "stroke-width": 5 }),
      svg("circle", { cx: 35, cy: 40, r: 5.5, fill: "currentColor" }),
      svg("circle", { cx: 65, cy: 40, r: 5.5, fill: "currentColor" }),
      svg("path", {
        d: `M 30 ${y} Q 50 ${y + curve} 70 ${y}`,
        fill: "none", stroke: "currentColor", "stroke-width": 5, "stroke-linecap": "round",
      }),
    );
    return icon;
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (name === "class") node.className = value;
      else node.setAttribute(name, value);
    }
    node.append(...children);
    return node;
  }

  function create({ t, reasons, send }) {
    let score = null; // the level chosen, while its reasons are asked
    let busy = false;
    const chosen = new Set();

    const levelButtons = LEVELS.map((level) => {
      const word = el("span", { class: "word" });
      const button = el("button", { type: "button", class: "level", "data-score": String(level) }, face(level), word);
      button.addEventListener("click", () => choose(level));
      return button;
    });
    const levels = el("div", { class: "levels", role: "group" }, ...levelButtons);

    const reasonButtons = reasons.map((reason) => {
      const button = el("button", { type: "button", class: "reason", "aria-pressed": "false" }, reason);
      button.addEventListener("click", () => {
        if (chosen.has(reason)) chosen.delete(reason);
        else chosen.add(reason);
        say("");
        update();
      });
      return button;
    });
    const comment = el("textarea", { class: "comment", rows: "2", maxlength: String(COMMENT_LIMIT) });
    const commentLabel = el("span");
    const change = el("button", { type: "button", class: "change" });
    const submit = el("button", { type: "button", class: "submit" });
    const chosenLine = el("p", { class: "chosen" });
    const reasonsTitle = el("p", { class: "reasons-title" });
    const bad = el("div", { class: "bad" },
      chosenLine, reasonsTitle,
      el("div", { class: "reasons", role: "group" }, ...reasonButtons),
      el("label", { class: "comment-label" }, commentLabel, comment),
      el("div", { class: "actions" }, change, submit));
    const note = el("p", { class: "note", role: "alert" });
    const node = el("div", { class: "rating", "data-testid": "rating" }, levels, bad, note);

    change.addEventListener("click", () => {
      score = null;
      say("");
      update();
    });
    submit.addEventListener("click", () => {
      if (chosen.size === 0 && !comment.value.trim()) say(t("rate_need_reason"));
      else rate();
    });

    function choose(level) {
      if (busy) return;
      say("");
      if (BAD.includes(level)) {
        score = level;
        update();
      } else {
        score = null;
        rate(level);
      }
    }

    async function rate(level = score) {
      const isBad = BAD.includes(level);
      busy = true;
      say(t("rate_sending"));
      update();
      let result;
      try {
        result = await send({
          score: level,
          reasons: isBad ? reasons.filter((r) => chosen.has(r)) : [],
          comment: isBad ? comment.value.trim() : "",
        });
      } catch (error) {
        console.error("rating not sent", error);
        result = t("rate_failed");
      }
      busy = false;
      say(result || "");
      update();
    }

    function say(text) {
      note.textContent = text;
      note.hidden = !text;
    }

    function update() {
      node.dataset.step = score === null ? "levels" : "reasons";
      levels.hidden = score !== null;
      bad.hidden = score === null;
      for (const button of [...levelButtons, ...reasonButtons, change, submit]) button.disabled = busy;
      reasonButtons.forEach((button, i) => button.setAttribute("aria-pressed", String(chosen.has(reasons[i]))));
      chosenLine.textContent = score === null ? "" : t("rate_chosen", { level: t(`level_${score}`) });
      node.setAttribute("aria-busy", String(busy));
    }

    // The texts, again after the page changes its language (the phone page's button).
    function relabel() {
      levels.setAttribute("aria-label", t("rate_prompt"));
      levelButtons.forEach((button, i) => (button.querySelector(".word").textContent = t(`level_${LEVELS[i]}`)));
      reasonsTitle.textContent = t("rate_reasons");
      commentLabel.textContent = t("rate_comment");
      change.textContent = t("rate_change");
      submit.textContent = t("rate_submit");
      update();
    }

    // A new question: nothing chosen, nothing typed, and no button left focused from the last
    // one (a focused level would stand out).
    function reset() {
      if (node.contains(document.activeElement)) document.activeElement.blur();
      score = null;
      busy = false;
      chosen.clear();
      comment.value = "";
      say("");
      relabel();
    }

    reset();
    return { node, reset, relabel };
  }

  return { LEVELS, BAD, create };
})();
