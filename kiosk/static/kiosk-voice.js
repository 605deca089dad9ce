// The kiosk's voice guidance (语音引导), where the kiosk's [[kiosks]] entry says
// voice_guidance = true: it reads each screen's title as the citizen opens it (on an item's page,
// the item's name), and a ticket once taken: its number, the people ahead and the windows. It
// says them with the hall board's clips (letters, digits, numbers) and the kiosk's phrase clips
// (names and the voice's sentences, kiosk/voice.py), played by the board's player
// (announcer.js), and falls silent when the screen is touched or the next screen opens. A switch
// in the kiosk's bar silences it for the citizen in front of it (and turns it on again); it is
// on again for the next one.
//
// kiosk.js says what happens with two events on #screen:
//   "kiosk:screen" {lang, home}     a screen is shown
//   "kiosk:ticket" {lang, ticket}   a ticket's screen is shown (after its "kiosk:screen")
// window.hallqKioskVoice.log records each reading:
//   {what: "title" | "ticket", lang, text, clips (URLs), via, hushed, error, startedAt, endedAt}
// where via is "clips" (played), "blocked" (no permission to play sound yet) or "silent" (a
// clip is missing or failed to load, with error saying which).
(() => {
  "use strict";

  // A screen shown this long after the last touch or key was not opened by a citizen (the idle
  // return, the ticket screen's countdown): its title is not read to an empty hall.
  const CITIZEN_MS = 10000;

  const setup = JSON.parse(document.getElementById("kiosk-setup").textContent).voice;
  const player = window.hallqVoice; // the board's clip player (announcer.js)
  const Announcer = window.HallqAnnouncer;
  const screen = document.getElementById("screen");
  const hallName = document.querySelector("h1.hall").textContent.trim();

  const log = [];
  let turn = 0; // counts readings and hushes: a reading still loading when another begins never plays
  let touchedAt = -Infinity;
  let muted = false; // by this citizen, with the bar's switch
  let lang = "zh"; // of the screen shown
  let home = false; // the screen shown is the home screen

  const toggle = document.createElement("button");
  toggle.className = "tool voice";
  toggle.dataset.testid = "voice-toggle";
  document.querySelector(".bar .tools").prepend(toggle);
  const relabel = () => {
    toggle.textContent = setup.strings[lang][muted ? "unmute" : "mute"];
    toggle.setAttribute("aria-pressed", String(!muted));
  };
  toggle.addEventListener("click", () => {
    muted = !muted;
    relabel();
    readTitle();
  });

  const clip = (lang, name) => ({ text: player.setup.texts[lang][name], url: player.setup.clips[lang][name] });
  const phrase = (text) => ({ text, url: `${setup.phrase}?text=${encodeURIComponent(text)}` });

  // One of the voice's sentences, its placeholder said by `between` (clips or phrases).
  function sentence(lang, key, between) {
    const [before, after = ""] = setup.strings[lang][key].split(/%\(\w+\)s/);
    return [before, ...between, after].flatMap((part) =>
      typeof part !== "string" ? [part] : part.trim() ? [phrase(part.trim())] : []);
  }

  function hush() {
    turn += 1;
    const current = log[log.length - 1];
    if (current && current.endedAt === null) current.hushed = true;
    player.hush();
  }

  // Say groups of clips, a short pause between groups, after silencing what was being said.
  async function say(what, lang, groups) {
    hush();
    const mine = turn;
    const joiner = lang === "zh" ? "" : " ";
    const entry = {
      what, lang, text: groups.map((group) => group.map((part) => part.text).join(joiner)).join(lang === "zh" ? "，" : ", "),
      clips: groups.flat().map((part) => part.url), via: null, hushed: false, startedAt: performance.now(), endedAt: null,
    };
    log.push(entry);
    try {
      const missing = groups.flat().filter((part) => !part.url);
      if (missing.length) throw new Error(`missing clips: ${missing.map((part) => part.text).join(", ")}`);
      if (!player.audio) throw new Error("this browser has no Web Audio");
      const urls = groups.map((group) => group.map((part) => part.url));
      await Promise.all(urls.flat().map((url) => player.buffer(url)));
      if (mine !== turn) return;
      if (!(await player.audioRuns())) {
        entry.via = "blocked";
        return;
      }
      if (mine !== turn) return;
      entry.via = "clips";
      await player.play(urls);
    } catch (error) {
      entry.via = "silent";
      entry.error = String(error);
    } finally {
      entry.endedAt = performance.now();
    }
  }

  for (const type of ["pointerdown", "keydown"]) {
    addEventListener(type, () => {
      touchedAt = performance.now();
      hush();
    }, { capture: true, passive: true });
  }

  function readTitle() {
    const title = screen.querySelector("h2, .notice > p");
    const texts = home ? [hallName, setup.strings[lang].home] : title ? [title.textContent.trim()] : [];
    if (!texts.length || muted) return hush();
    say("title", lang, [texts.map(phrase)]);
  }

  screen.addEventListener("kiosk:screen", (event) => {
    ({ lang, home } = event.detail);
    // Shown with nobody touching the kiosk: the citizen has gone, and the next one finds the voice on.
    if (performance.now() - touchedAt > CITIZEN_MS) {
      muted = false;
      relabel();
      return hush();
    }
    relabel();
    readTitle();
  });

  screen.addEventListener("kiosk:ticket", (event) => {
    const { ticket } = event.detail;
    if (muted) return;
    const clips = (names) => names.map((name) => clip(lang, name));
    const count = lang === "zh" ? Announcer.zhNumber(ticket.waiting_ahead) : Announcer.enNumber(ticket.waiting_ahead);
    const groups = [
      sentence(lang, "number", clips(Announcer.spell(ticket.number))),
      sentence(lang, "ahead", clips(count)),
      ticket.windows.length ? sentence(lang, "windows", ticket.windows.map((w) => phrase(w.name))) : [],
    ];
    say("ticket", lang, groups.filter((group) => group.length));
  });

  window.hallqKioskVoice = { log, hush };
})();
