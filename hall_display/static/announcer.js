// The hall board's voice: each call is announced with a chime and the sentence
// "请 A012 号到 3 号窗口办理" (repeat times, then once in English when the hall wants it),
// strictly one announcement after the other, through the browser's Mandarin voice when it has
// one and the hall allows it, else by playing the hall's clips back to back with Web Audio.
// No framework, no network beyond the board's own server.
//
// The voice keeps up with a busy hall: a recall of a ticket still waiting to be said is
// merged into it, and with more than BACKLOG calls waiting only the newest of each window is
// said (the others are logged "skipped"). The board shows what is said as it is said.
//
//   const voice = new HallqAnnouncer(setup);   // setup: hall_display.voice.voice_setup()
//   voice.announce({ticket_id: 7, number: "A012", window: 3, recall: false});   // resolves when said
//   voice.onChange((speaking, waiting) => ...);   // the call said now (or null), the calls waiting
//   voice.log   // [{number, window, recall, merged, via, clips, text, queuedAt, startedAt, endedAt}]
(() => {
  "use strict";

  const RESUME_WAIT_MS = 500; // how long a suspended AudioContext gets to start before "blocked"
  const LEAD_S = 0.05; // from scheduling to the first clip
  const PAUSE_S = 0.15; // between the chime and the sentence, and between sentences
  const SLACK_MS = 3000; // past the expected end, an announcement is taken as finished anyway
  const BACKLOG = 3; // more calls waiting than this: only the newest of each window is said

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  class Blocked extends Error {}

  class HallqAnnouncer {
    constructor(setup) {
      this.setup = setup;
      this.log = [];
      this.waiting = []; // entries not yet said, in order
      this.speaking = null; // the entry being said
      this.finish = new Map(); // entry → resolve of its announce() promise
      this.listeners = [];
      this.buffers = new Map(); // clip URL → Promise<AudioBuffer>
      try {
        this.audio = new AudioContext();
      } catch (error) {
        this.audio = null; // no Web Audio here: only a browser voice can speak
      }
      // A board started without the autoplay flag starts speaking at the first touch or key.
      const wake = () => this.audio && this.audio.state === "suspended" && this.audio.resume();
      addEventListener("pointerdown", wake);
      addEventListener("keydown", wake);
      if (this.audio) {
        for (const lang of this.languages()) {
          for (const url of Object.values(setup.clips[lang] || {})) this.buffer(url).catch(() => {});
        }
      }
    }

    // --- what is said -----------------------------------------------------------------------

    // A ticket number letter by letter and digit by digit (any other character is not said).
    static spell(number) {
      return [...String(number).toUpperCase()].filter((c) => /[0-9A-Z]/.test(c));
    }

    // A window number as Mandarin says numbers: 3 三, 10 十, 12 十二, 20 二十, 35 三十五.
    static zhNumber(n) {
      if (n < 10) return [String(n)];
      if (n < 100) {
        const tens = Math.floor(n / 10), ones = n % 10;
        return [...(tens > 1 ? [String(tens)] : []), "10", ...(ones ? [String(ones)] : [])];
      }
      return HallqAnnouncer.spell(n);
    }

    // A window number in English words: 3, 12, 20, 35 → "30" "5".
    static enNumber(n) {
      if (n < 20) return [String(n)];
      if (n < 100) return [String(n - (n % 10)), ...(n % 10 ? [String(n % 10)] : [])];
      return HallqAnnouncer.spell(n);
    }

    // The clip names of the sentence for a call in a language ("zh" or "en").
    static sentence(lang, number, window) {
      const digits = HallqAnnouncer.spell(number);
      return lang === "zh"
        ? ["qing", ...digits, "hao", "dao", ...HallqAnnouncer.zhNumber(window), "hao_chuangkou_banli"]
        : ["number", ...digits, "please_go_to_window", ...HallqAnnouncer.enNumber(window)];
    }

    languages() {
      return this.setup.english ? ["zh", "en"] : ["zh"];
    }

    // The sentences of one announcement, in the order they are said: [[lang, clip names], ...].
    sentences(call) {
      const said = Array(this.setup.repeat).fill(["zh", HallqAnnouncer.sentence("zh", call.number, call.window)]);
      if (this.setup.english) said.push(["en", HallqAnnouncer.sentence("en", call.number, call.window)]);
      return said;
    }

    text(lang, names) {
      return names.map((name) => this.setup.texts[lang][name]).join(lang === "zh" ? "" : " ");
    }

    // --- the queue ----------------------------------------------------------------------------

    // Queue a call (a ticket_called payload); the promise resolves once it has been said (or
    // skipped). A call of a ticket already waiting to be said is merged into it.
    announce(call) {
      const ticket = call.ticket_id ?? call.number;
      const waiting = this.waiting.find((entry) => entry.ticket === ticket);
      if (waiting) {
        waiting.recall = waiting.recall || Boolean(call.recall);
        waiting.merged += 1;
        this.notify();
        return waiting.said;
      }
      const entry = {
        ticket, number: call.number, window: call.window, recall: Boolean(call.recall), merged: 0,
        via: null, clips: [], text: "", queuedAt: performance.now(), startedAt: null, endedAt: null,
      };
      const said = new Promise((resolve) => this.finish.set(entry, resolve));
      Object.defineProperty(entry, "said", { value: said, enumerable: false }); // not in the log's copy
      this.log.push(entry);
      this.waiting.push(entry);
      this.skipBacklog();
      this.notify();
      if (!this.speaking) this.run();
      return said;
    }

    // With more than BACKLOG calls waiting, only the newest call of each window is kept: the
    // box shows where to go now, and nobody waits through a minute of stale calls.
    skipBacklog() {
      if (this.waiting.length <= BACKLOG) return;
      const newest = new Map(this.waiting.map((entry) => [entry.window, entry]));
      const kept = new Set(newest.values());
      for (const entry of this.waiting.filter((e) => !kept.has(e))) {
        entry.via = "skipped";
        entry.startedAt = entry.endedAt = performance.now();
        this.done(entry);
      }
      this.waiting = this.waiting.filter((entry) => kept.has(entry));
    }

    async run() {
      while (this.waiting.length) {
        const entry = (this.speaking = this.waiting.shift());
        this.notify();
        entry.startedAt = performance.now();
        try {
          await this.say(entry, this.sentences(entry));
        } catch (error) {
          entry.via = error instanceof Blocked ? "blocked" : "silent";
          if (!(error instanceof Blocked)) entry.error = String(error);
        }
        entry.endedAt = performance.now();
        this.done(entry);
      }
      this.speaking = null;
      this.notify();
    }

    done(entry) {
      this.finish.get(entry)();
      this.finish.delete(entry);
    }

    // listener(speaking, waiting): the entry said now or null, and the entries waiting.
    onChange(listener) {
      this.listeners.push(listener);
    }

    notify() {
      for (const listener of this.listeners) listener(this.speaking, [...this.waiting]);
    }

    async say(entry, sentences) {
      entry.text = sentences.map(([lang, names]) => this.text(lang, names)).join(" ");
      const voices = this.speechVoices();
      if (voices) {
        entry.via = "speech";
        if (this.audio && this.setup.clips.zh.chime && (await this.audioRuns())) {
          entry.clips = ["chime"];
          await this.play([[this.setup.clips.zh.chime]]);
        }
        for (const [lang, names] of sentences) await this.speak(this.text(lang, names), voices[lang]);
        return;
      }
      const groups = [[["zh", "chime"]], ...sentences.map(([lang, names]) => names.map((name) => [lang, name]))];
      const missing = groups.flat().filter(([lang, name]) => !this.setup.clips[lang][name]);
      if (missing.length) throw new Error(`missing clips: ${missing.map((clip) => clip.join("/")).join(", ")}`);
      if (!this.audio) throw new Error("this browser has no Web Audio");
      if (!(await this.audioRuns())) throw new Blocked();
      entry.via = "clips";
      entry.clips = groups.flat().map(([, name]) => name);
      await this.play(groups.map((group) => group.map(([lang, name]) => this.setup.clips[lang][name])));
    }

    // --- Web Audio ----------------------------------------------------------------------------

    buffer(url) {
      if (!this.buffers.has(url)) {
        const loading = fetch(url)
          .then((response) => {
            if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
            return response.arrayBuffer();
          })
          .then((bytes) => this.audio.decodeAudioData(bytes));
        loading.catch(() => this.buffers.delete(url)); // the next announcement tries again
        this.buffers.set(url, loading);
      }
      return this.buffers.get(url);
    }

    async audioRuns() {
      if (this.audio.state !== "running") {
        await Promise.race([this.audio.resume().catch(() => {}), sleep(RESUME_WAIT_MS)]);
      }
      return this.audio.state === "running";
    }

    // Play groups of clip URLs: the clips of a group back to back, a pause between groups.
    async play(groups) {
      const buffers = await Promise.all(groups.map((urls) => Promise.all(urls.map((url) => this.buffer(url)))));
      let at = this.audio.currentTime + LEAD_S;
      let last = null;
      this.playing = [];
      for (const group of buffers) {
        for (const buffer of group) {
          last = this.audio.createBufferSource();
          last.buffer = buffer;
          last.connect(this.audio.destination);
          last.start(at);
          this.playing.push(last);
          at += buffer.duration;
        }
        at += PAUSE_S;
      }
      const expected = (at - this.audio.currentTime) * 1000;
      await new Promise((resolve) => {
        last.onended = resolve;
        setTimeout(resolve, expected + SLACK_MS); // a context suspended mid-way must not stop the queue
      });
    }

    // Stop the clips play() has started or scheduled, at once: its promise then resolves. (The
    // kiosk's voice guidance falls silent when the citizen touches the screen.)
    hush() {
      for (const source of this.playing || []) source.stop();
      this.playing = [];
    }

    // --- the browser's voice ------------------------------------------------------------------

    // {zh: voice, en: voice} when the hall allows the browser's voice and it has what is needed.
    speechVoices() {
      if (!this.setup.browser_voice || !("speechSynthesis" in window)) return null;
      const available = speechSynthesis.getVoices();
      const voices = {
        zh: available.find((voice) => /^(zh[-_]CN|cmn)/i.test(voice.lang)),
        en: available.find((voice) => /^en/i.test(voice.lang)),
      };
      return voices.zh && (voices.en || !this.setup.english) ? voices : null;
    }

    speak(text, voice) {
      return new Promise((resolve, reject) => {
        const utterance = new SpeechSynthesisUtterance(text);
        utterance.voice = voice;
        utterance.lang = voice.lang;
        utterance.rate = 0.9;
        utterance.onend = resolve;
        utterance.onerror = (event) => (event.error === "not-allowed" ? reject(new Blocked()) : resolve());
        speechSynthesis.speak(utterance);
        setTimeout(resolve, text.length * 400 + SLACK_MS); // some engines never say "end"
      });
    }
  }

  window.HallqAnnouncer = HallqAnnouncer;

  // The hall board's include (voice.html) puts the hall's setup in the page: start its voice.
  const voiceSetup = document.getElementById("hallq-voice-setup");
  if (voiceSetup) window.hallqVoice = new HallqAnnouncer(JSON.parse(voiceSetup.textContent));
})();
