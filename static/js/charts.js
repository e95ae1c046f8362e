// Charts on uPlot: an opponent's rating history (mu with a +-3 sigma band, over games or time)
// and a trainer's curves (one small chart per posted metric, over training steps).
// Data comes from JSON script blocks written by the server; nothing here builds HTML from data.
(function () {
  "use strict";

  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

  function readJson(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function axisStyle() {
    const ink = css("--muted"), line = css("--line");
    return { stroke: ink, grid: { stroke: line, width: 1 }, ticks: { stroke: line, width: 1 } };
  }

  // Tick spacings for axes of whole numbers (games, training steps).
  const WHOLE_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7, 2e7, 5e7, 1e8];

  // Keep a chart as wide as its container.
  function fitWidth(chart, container, height) {
    new ResizeObserver(() => {
      const width = Math.max(200, container.clientWidth);
      if (Math.abs(width - chart.width) > 1) chart.setSize({ width, height });
    }).observe(container);
  }

  // mu as a line over `xs`, with the band mu +- 3 sigma; its lower edge is the leaderboard rating.
  function drawRatings(container, xs, mu, sigma, xLabel, byTime) {
    const accent = css("--accent"), band = css("--band"), muted = css("--muted");
    const upper = mu.map((m, i) => m + 3 * sigma[i]);
    const lower = mu.map((m, i) => m - 3 * sigma[i]);
    const fixed = (u, v) => (v == null ? "" : v.toFixed(2));
    const height = 300;
    const opts = {
      width: Math.max(200, container.clientWidth), height,
      scales: { x: { time: byTime } },
      series: [
        { label: xLabel, value: (u, v) => (v == null ? "" : byTime ? new Date(v * 1000).toLocaleString() : String(v)) },
        { label: "mu", stroke: accent, width: 2, value: fixed, points: { show: xs.length < 40 } },
        { label: "mu + 3\u03c3", stroke: band, width: 1, value: fixed, points: { show: false } },
        { label: "mu \u2212 3\u03c3 (rating)", stroke: muted, width: 1, dash: [4, 3], value: fixed, points: { show: false } },
      ],
      bands: [{ series: [2, 3], fill: band }],
      axes: [
        // Game numbers and training steps are whole numbers: no ticks between them.
        Object.assign({}, axisStyle(), byTime ? {} : { incrs: WHOLE_STEPS }),
        Object.assign({}, axisStyle(), { size: 48 }),
      ],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
    };
    container.innerHTML = "";
    const chart = new uPlot(opts, [xs, mu, upper, lower], container);
    fitWidth(chart, container, height);
    container.dataset.drawn = "true";
    container.dataset.points = String(xs.length);
    return chart;
  }

  function setupRatingHistory() {
    const container = document.getElementById("rating-chart");
    const history = readJson("rating-history");
    if (!container || !history) return;
    if (history.mu.length === 0) {
      container.innerHTML = '<p class="chart-empty">No rated games yet.</p>';
      return;
    }
    const draw = (byTime) => drawRatings(container, byTime ? history.time : history.games, history.mu,
      history.sigma, byTime ? "time" : "games", byTime);
    let chart = draw(false);
    const toggle = document.getElementById("rating-axis");
    if (toggle) {
      toggle.addEventListener("change", () => {
        chart.destroy();
        chart = draw(toggle.value === "time");
      });
    }
  }

  function setupCheckpointRatings() {
    const container = document.getElementById("checkpoint-chart");
    const points = readJson("checkpoint-ratings");
    if (!container || !points) return;
    if (points.step.length === 0) {
      container.innerHTML = '<p class="chart-empty">No checkpoints registered yet.</p>';
      return;
    }
    drawRatings(container, points.step, points.mu, points.sigma, "training step", false);
  }

  const PALETTE = ["--accent", "--p1", "--p2", "--good", "--bad"];

  function setupTrainingCurves() {
    const root = document.getElementById("training-curves");
    const metrics = readJson("training-metrics");
    if (!root || !metrics) return;
    const names = Object.keys(metrics);
    if (names.length === 0) {
      root.innerHTML = '<p class="chart-empty">The trainer has posted no metrics yet.</p>';
      return;
    }
    root.innerHTML = "";
    names.forEach((name, index) => {
      const points = metrics[name];
      const panel = document.createElement("div");
      panel.className = "panel";
      const title = document.createElement("h3");
      title.textContent = name;
      title.style.margin = "0 0 0.4rem";
      title.style.fontSize = "0.95rem";
      const holder = document.createElement("div");
      holder.className = "chart";
      holder.style.minHeight = "200px";
      panel.append(title, holder);
      root.append(panel);
      const height = 200;
      const chart = new uPlot({
        width: Math.max(200, holder.clientWidth), height,
        scales: { x: { time: false } },
        series: [
          { label: "step" },
          { label: name, stroke: css(PALETTE[index % PALETTE.length]), width: 2, points: { show: points.length < 40 } },
        ],
        axes: [Object.assign({}, axisStyle(), { incrs: WHOLE_STEPS }), Object.assign({}, axisStyle(), { size: 56 })],
        legend: { show: true },
      }, [points.map((p) => p[0]), points.map((p) => p[1])], holder);
      fitWidth(chart, holder, height);
      holder.dataset.drawn = "true";
    });
    root.dataset.drawn = "true";
  }

  function start() {
    if (typeof uPlot === "undefined") return;
    setupRatingHistory();
    setupCheckpointRatings();
    setupTrainingCurves();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
