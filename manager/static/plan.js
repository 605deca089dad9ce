// What-if staffing (/manager/plan): plays the plan now and the proposed one through the API,
// a few replications a request so that the progress bar moves, then draws them side by side.
(function () {
  "use strict";
  const setup = JSON.parse(document.getElementById("plan-setup").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const form = document.getElementById("plan");
  const progress = document.querySelector("[data-testid=progress]");
  const results = document.querySelector("[data-testid=results]");
  const CHUNKS = 5; // requests per plan
  const PER_CHUNK = 4; // replications per request: 20 in all
  const charts = {};

  function proposedPlan() {
    const plan = {};
    for (const input of form.querySelectorAll("input[data-queue]")) {
      (plan[input.dataset.queue] ||= {})[input.dataset.hour] = Number(input.value) || 0;
    }
    return plan;
  }

  async function playChunk(plan, seed) {
    const response = await fetch(setup.api, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ day_type: setup.day_type, plan, replications: PER_CHUNK, seed }),
    });
    const data = await response.json();
    if (!response.ok) throw new Error(data.text || data.message || response.status);
    return data;
  }

  // The chunks' figures, averaged (each chunk is as many replications as the others).
  function average(chunks, pick) {
    const values = chunks.map(pick).filter((v) => v !== null && v !== undefined);
    return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
  }

  async function play(plan, done) {
    const chunks = [];
    for (let seed = 0; seed < CHUNKS; seed += 1) {
      chunks.push(await playChunk(plan, seed));
      done();
    }
    const figure = (name) => average(chunks, (c) => c.day[name]);
    const hourly = (name) => setup.hours.map((h) => average(chunks, (c) => c.hours[h][name]));
    return {
      day: { mean_wait: figure("mean_wait"), p90_wait: figure("p90_wait"),
             service_level: figure("service_level"), utilisation: figure("utilisation") },
      wait: hourly("mean_wait"), level: hourly("service_level"), use: hourly("utilisation"),
    };
  }

  const fixed = (v, digits) => (v === null ? "—" : v.toFixed(digits));
  const percent = (v) => (v === null ? "—" : `${(v * 100).toFixed(1)}%`);

  function draw(plans) {
    const body = results.querySelector("tbody");
    body.replaceChildren();
    for (const [key, result] of Object.entries(plans)) {
      const row = document.createElement("tr");
      row.dataset.plan = key;
      for (const text of [setup.names[key], fixed(result.day.mean_wait, 1), fixed(result.day.p90_wait, 1),
                          percent(result.day.service_level), percent(result.day.utilisation)]) {
        const cell = document.createElement("td");
        cell.textContent = text;
        row.append(cell);
      }
      body.append(row);
    }
    const labels = setup.hours.map((h) => `${String(h).padStart(2, "0")}:00`);
    const lines = (pick, scale) => Object.entries(plans).map(([key, r], i) => ({
      label: setup.names[key], data: pick(r).map((v) => (v === null ? null : v * scale)),
      borderColor: i ? "#1b7f3b" : "#b3261e", backgroundColor: i ? "#1b7f3b" : "#b3261e", tension: 0.2,
    }));
    for (const [id, pick, scale] of [["chart-wait", (r) => r.wait, 1], ["chart-level", (r) => r.level, 100],
                                      ["chart-use", (r) => r.use, 100]]) {
      if (charts[id]) charts[id].destroy();
      charts[id] = new Chart(document.getElementById(id), {
        type: "line", data: { labels, datasets: lines(pick, scale) },
        options: { responsive: true, maintainAspectRatio: false, animation: false,
                   scales: { y: { beginAtZero: true } } },
      });
    }
    results.hidden = false;
    document.body.dataset.planReady = "1";
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("[data-testid=play]");
    button.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    let steps = 0;
    const done = () => { steps += 1; progress.value = steps / (2 * CHUNKS); };
    try {
      const current = await play(setup.current, done);
      const proposed = await play(proposedPlan(), done);
      draw({ current, proposed });
    } catch (error) {
      window.alert(setup.names.failed.replace("%(message)s", error.message));
    } finally {
      button.disabled = false;
    }
  });
})();
