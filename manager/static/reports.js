// The report page's charts (Chart.js 4): the data is the page's own summary, in #report-charts.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("report-charts").textContent);
  if (!data || typeof Chart === "undefined") return;
  const names = data.names;
  const colours = { served: "#2f6db5", wait: "#d08a1a", level: "#1b7f3b", good: "#7a4fb0" };
  const common = { responsive: true, maintainAspectRatio: false, animation: false };

  function bars(id, datasets, options) {
    const canvas = document.getElementById(id);
    if (!canvas) return;
    new Chart(canvas, { type: "bar", data: { labels: data.labels, datasets: datasets }, options: { ...common, ...options } });
  }

  const percentAxis = { y: { min: 0, max: 100, ticks: { callback: (v) => v + "%" } } };
  bars(
    "chart-served",
    [
      { label: names.served, data: data.served, backgroundColor: colours.served, yAxisID: "y" },
      { label: names.wait_mean, data: data.wait_mean, backgroundColor: colours.wait, yAxisID: "minutes" },
    ],
    {
      scales: {
        y: { beginAtZero: true, title: { display: true, text: names.served } },
        minutes: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false },
                   title: { display: true, text: names.wait_mean } },
      },
    },
  );
  bars("chart-level", [{ label: names.service_level, data: data.service_level, backgroundColor: colours.level }],
       { scales: percentAxis });
  bars("chart-good", [{ label: names.good_rate, data: data.good_rate, backgroundColor: colours.good }],
       { scales: percentAxis });

  const levels = document.getElementById("chart-levels");
  if (levels) {
    new Chart(levels, {
      type: "doughnut",
      data: {
        labels: names.levels,
        datasets: [{ data: data.levels, backgroundColor: ["#1b7f3b", "#6aaf3d", "#c9b037", "#e07b39", "#b3261e"] }],
      },
      options: { ...common, plugins: { legend: { position: "right" } } },
    });
  }
  document.body.dataset.chartsReady = "1";
})();
