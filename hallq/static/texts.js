// What the citizens' pages (kiosk, phone, booking) share about showing text in two
// languages: the catalogue's messages with their plurals, and the hall's own content (names,
// disclosures) in English where the catalogue has it, else in Chinese marked 中文.
"use strict";

const hallqTexts = (() => {
  const plurals = { zh: new Intl.PluralRules("zh-CN"), en: new Intl.PluralRules("en") };

  // A message from strings (one language's, by key) with its %(name)s filled in; a plural
  // message ({one, other}) takes the form its count %(n)s asks for.
  function format(strings, lang, key, values = {}) {
    let text = strings[key] ?? key;
    if (typeof text === "object") text = text[plurals[lang].select(Number(values.n))] ?? text.other;
    return text.replace(/%\((\w+)\)[ds]/g, (_, name) => String(values[name] ?? ""));
  }

  // The Chinese text as its own language, with its 中文 badge: shown where English is missing.
  function chinese(text) {
    const span = document.createElement("span");
    span.lang = "zh-CN";
    span.className = "zh-text";
    const badge = document.createElement("span");
    badge.className = "zh-badge";
    badge.textContent = "中文";
    span.append(badge, String(text));
    return span;
  }

  // A content text in the page's language: a string, or a node marking Chinese in English mode.
  function pick(lang, zh, en) {
    if (lang !== "en" || !zh) return zh;
    return en ? en : chinese(zh);
  }

  // A list of lines (materials, steps...) in the page's language: the English lines where the
  // catalogue has them, else the Chinese ones, each marked.
  function pickLines(lang, zh, en) {
    if (lang !== "en") return zh;
    return en && en.length ? en : zh.map(chinese);
  }

  // A window as the page's language names it: its own name in Chinese ("4号婚姻登记窗口"),
  // "Window 4 (Marriage Registration)" in English. t: the page's message function.
  function windowName(lang, t, w) {
    if (lang !== "en") return w.name;
    return w.name_en ? t("window_named", { n: w.number, name: w.name_en }) : t("window_number", { n: w.number });
  }

  function windowNames(lang, t, windows) {
    return windows.map((w) => windowName(lang, t, w)).join(t("list_separator"));
  }

  return { format, pick, pickLines, windowName, windowNames };
})();
