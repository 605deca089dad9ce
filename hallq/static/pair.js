// /pair: sends the six digits once; the answer opens the device's page with its token, which
// that page keeps (hallqLive.keepToken) and removes from the address.
(() => {
  const form = document.getElementById("pair");
  const problem = form.querySelector("[role=alert]");
  const S = JSON.parse(document.getElementById("pair-strings").textContent);

  function say(text) {
    problem.textContent = text;
    problem.hidden = false;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = form.elements.code.value.trim();
    if (!/^\d{6}$/.test(code)) return say(S.six_digits);
    let answer;
    try {
      answer = await fetch(`${form.dataset.api}/pair`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ code, sent_by: "browser" }),
      });
    } catch {
      return say(S.unreachable);
    }
    if (answer.status === 201) {
      const paired = await answer.json();
      location.assign(paired.page);
    } else if (answer.status === 404) say(S.wrong);
    else if (answer.status === 429) say(S.too_many);
    else if (answer.status === 422) say(S.not_a_screen);
    else say(S.unreachable);
  });
})();
