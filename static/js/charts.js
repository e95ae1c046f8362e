// Charts on uPlot: rating histories (an opponent's mu with its band mu ± 3σ, other opponents'
// ratings compared on the same chart, a pair's two ratings, a lineage's checkpoints over training
// steps). Shared helpers live on window.HockeyCharts for the training curves (curves.js).
// Legends show the latest values until the cursor picks another point; times read
// "2025-03-14 09:26:53" (24-hour clock). Data comes from JSON script blocks written by the server;
// nothing here builds HTML from data.
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

  // Line colours, one per compared opponent or run (CSS variables, light and dark).
  const PALETTE = ["--c1", "--c2", "--c3", "--c4", "--c5", "--c6", "--c7", "--c8"];
  const colour = (k) => css(PALETTE[k % PALETTE.length]);

  function withAlpha(colourText, alpha) {
    const probe = document.createElement("canvas").getContext("2d");
    probe.fillStyle = colourText;
    const hex = probe.fillStyle;  // "#rrggbb" for an opaque colour
    if (!hex.startsWith("#")) return colourText;
    const n = parseInt(hex.slice(1), 16);
    return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
  }

  const pad2 = (n) => String(n).padStart(2, "0");

  // Unix seconds as "2025-03-14 09:26:53" in the reader's time zone.
  function isoTime(seconds, withSeconds = true) {
    const d = new Date(seconds * 1000);
    const day = `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
    const clock = `${pad2(d.getHours())}:${pad2(d.getMinutes())}` + (withSeconds ? `:${pad2(d.getSeconds())}` : "");
    return `${day} ${clock}`;
  }

  // Time-axis tick labels in 24-hour form: dates for day steps, clock times below.
  function timeTicks(u, splits, axisIdx, space, incr) {
    return splits.map((v) => {
      const t = isoTime(v);
      if (incr >= 86400) return t.slice(5, 10);
      if (incr >= 60) return t.slice(11, 16);
      return t.slice(11, 19);
    });
  }

  function lastValue(values) {
    for (let k = values.length - 1; k >= 0; k--) if (values[k] != null) return values[k];
    return null;
  }

  // A legend value formatter that shows the series' latest value while no point is picked.
  function latest(format) {
    return (u, v, seriesIdx, idx) => {
      const value = idx == null ? lastValue(u.data[seriesIdx]) : v;
      return value == null ? "–" : format(value, u, seriesIdx, idx);
    };
  }

  // Keep a chart as wide as its container.
  function fitWidth(chart, container, height) {
    new ResizeObserver(() => {
      const width = Math.max(200, container.clientWidth);
      if (Math.abs(width - chart.width) > 1) chart.setSize({ width, height });
    }).observe(container);
  }

  // One x array for several series: the sorted union of their xs, each series' values at its own
  // xs and null elsewhere.
  function join(lines) {
    const xs = Array.from(new Set(lines.flatMap((line) => line.xs))).sort((a, b) => a - b);
    const at = new Map(xs.map((x, k) => [x, k]));
    const columns = lines.map((line) => {
      const column = new Array(xs.length).fill(null);
      line.xs.forEach((x, k) => { column[at.get(x)] = line.ys[k]; });
      return column;
    });
    return [xs, columns];
  }

  // Rating histories on one chart. `people`: [{name, xs, mu, sigma}]; the first is the page's own
  // and gets its band mu ± 3σ, unless `bands` says all do. The rating (mu - 3σ) is the dashed line.
  function drawRatings(container, people, { xLabel, byTime, bands = "first" }) {
    const fixed = (v) => v.toFixed(2);
    const lines = [], series = [], bandList = [];
    const single = people.length === 1;
    people.forEach((person, k) => {
      const stroke = single ? css("--accent") : colour(k);
      const banded = bands === "all" || k === 0;
      const name = single ? "" : `${person.name}: `;
      const upper = person.mu.map((m, i) => m + 3 * person.sigma[i]);
      const lower = person.mu.map((m, i) => m - 3 * person.sigma[i]);
      lines.push({ xs: person.xs, ys: person.mu });
      series.push({ label: `${name}mu`, stroke, width: 2, value: latest(fixed), points: { show: person.xs.length < 40 },
                    spanGaps: true });
      if (banded) {
        const lowerIndex = series.length + 2;  // this series' rating line, two after the upper edge
        lines.push({ xs: person.xs, ys: upper });
        series.push({
          label: `${name}mu \u00b1 3\u03c3`, stroke: withAlpha(stroke, 0.35), width: 1, points: { show: false }, spanGaps: true,
          value: latest((v, u, si, idx) => {
            const low = idx == null ? lastValue(u.data[lowerIndex]) : u.data[lowerIndex][idx];
            return low == null ? "–" : `${low.toFixed(2)} to ${v.toFixed(2)}`;
          }),
        });
        bandList.push({ series: [series.length, series.length + 1], fill: withAlpha(stroke, 0.12) });
      }
      lines.push({ xs: person.xs, ys: lower });
      series.push({ label: `${name}rating (mu \u2212 3\u03c3)`, stroke, width: 1, dash: [4, 3], value: latest(fixed),
                    points: { show: false }, spanGaps: true });
    });
    const [xs, columns] = join(lines);
    const height = 300;
    const xValue = byTime ? (v) => isoTime(v) : (v) => String(v);
    const opts = {
      width: Math.max(200, container.clientWidth), height,
      scales: { x: { time: byTime } },
      series: [{ label: xLabel, value: latest(xValue) }, ...series],
      bands: bandList,
      axes: [
        // Game numbers and training steps are whole numbers: no ticks between them.
        Object.assign({}, axisStyle(), byTime ? { values: timeTicks } : { incrs: WHOLE_STEPS }),
        Object.assign({}, axisStyle(), { size: 48 }),
      ],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
    };
    container.innerHTML = "";
    const chart = new uPlot(opts, [xs, ...columns], container);
    fitWidth(chart, container, height);
    container.dataset.drawn = "true";
    container.dataset.points = String(people[0].xs.length);
    container.dataset.lines = String(people.length);
    return chart;
  }

  function person(entry, byTime) {
    return { name: entry.name, xs: byTime ? entry.time : entry.games, mu: entry.mu, sigma: entry.sigma };
  }

  // The opponent page (its own history, then the compared ones) and the pair page (both, banded).
  function setupRatingHistory() {
    const container = document.getElementById("rating-chart");
    if (!container) return;
    const own = readJson("rating-history");
    const compared = readJson("rating-compared") || [];
    const everyone = (own ? [own] : []).concat(compared).filter((entry) => entry.mu.length > 0);
    if (everyone.length === 0 || (own && own.mu.length === 0)) {
      container.innerHTML = '<p class="chart-empty">No rated games yet.</p>';
      return;
    }
    const toggle = document.getElementById("rating-axis");
    const draw = (byTime) => drawRatings(container, everyone.map((e) => person(e, byTime)), {
      xLabel: byTime ? "time" : "games", byTime, bands: own ? "first" : "all",
    });
    let chart = draw(toggle ? toggle.value === "time" : false);
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
    if (!container || !points || points.step.length === 0) return;
    drawRatings(container, [{ name: "", xs: points.step, mu: points.mu, sigma: points.sigma }],
      { xLabel: "training step", byTime: false });
  }

  window.HockeyCharts = { css, readJson, axisStyle, fitWidth, join, latest, lastValue, colour, withAlpha,
                          WHOLE_STEPS, charts: {} };

  function start() {
    if (typeof uPlot === "undefined") return;
    setupRatingHistory();
    setupCheckpointRatings();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
