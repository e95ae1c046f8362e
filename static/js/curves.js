// The agent page's training curves: one uPlot chart per quantity, in the sections the server
// grouped them into (JSON block #training-metrics, see api/pages/curves.py), all on one shared
// training-step axis. Rates are drawn on a fixed 0-100 % axis, counters as whole numbers. The
// smoothing control draws an exponential moving average (debiased, as TensorBoard does) over the
// faint posted values. With runs compared, each run keeps one colour on every chart and its
// lines differ by dash.
(function () {
  "use strict";

  const DASHES = [[], [6, 4], [2, 3], [10, 3, 2, 3]];
  const HEIGHT = 220;

  function smooth(values, factor) {
    if (!factor) return values.slice();
    let mean = 0, weight = 0;
    return values.map((v) => {
      if (v == null) return null;
      mean = mean * factor + (1 - factor) * v;
      weight = weight * factor + (1 - factor);
      return mean / weight;
    });
  }

  const FORMAT = {
    rate: (v) => `${(100 * v).toFixed(1)} %`,
    count: (v) => Math.round(v).toLocaleString("en"),
    value: (v) => (Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(2) : v.toPrecision(3)),
  };

  // A y range that never blows a flat line up to uPlot's default 0-100.
  function valueRange(u, min, max) {
    if (min == null || max == null) return [0, 1];
    if (min === max) {
      const pad = Math.abs(min) * 0.1 || 1;
      return [min - pad, max + pad];
    }
    const pad = (max - min) * 0.05;
    return [min - pad, max + pad];
  }

  // Faint posted values under the smoothed lines.
  function drawRaw(u) {
    const raw = u.raw;
    if (!raw || !u.smoothing) return;
    const ctx = u.ctx;
    ctx.save();
    ctx.beginPath();
    ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
    ctx.clip();
    for (let s = 1; s < u.series.length; s++) {
      if (!u.series[s].show) continue;
      const stroke = u.series[s].stroke;
      ctx.strokeStyle = typeof stroke === "function" ? stroke(u, s) : stroke;
      ctx.globalAlpha = 0.25;
      ctx.lineWidth = 1;
      ctx.beginPath();
      let open = false;
      raw[s].forEach((v, i) => {
        if (v == null) return;
        const x = u.valToPos(u.data[0][i], "x", true), y = u.valToPos(v, "y", true);
        if (open) ctx.lineTo(x, y); else { ctx.moveTo(x, y); open = true; }
      });
      ctx.stroke();
    }
    ctx.restore();
  }

  function drawChart(holder, chart, runs, steps, factor) {
    const C = window.HockeyCharts;
    const lines = chart.series.map((s) => ({ xs: s.points.map((p) => p[0]), ys: s.points.map((p) => p[1]) }));
    const [xs, columns] = C.join(lines);
    const many = runs.length > 1;
    const perRun = {};
    const series = chart.series.map((s, k) => {
      const nth = (perRun[s.run] = (perRun[s.run] ?? -1) + 1);
      const stroke = many ? C.colour(s.run) : C.colour(k);
      return {
        label: many ? `${runs[s.run].name}: ${s.label}` : s.label,
        stroke, width: 2, dash: many ? DASHES[nth % DASHES.length] : [], spanGaps: true,
        points: { show: s.points.length < 40, size: s.points.length === 1 ? 7 : 5 },
        value: C.latest(FORMAT[chart.unit] || FORMAT.value),
      };
    });
    const lo = steps[0], hi = steps[1] > steps[0] ? steps[1] : steps[0] + 1;
    const yAxis = Object.assign({}, C.axisStyle(), { size: 60 });
    if (chart.unit === "rate") yAxis.values = (u, splits) => splits.map((v) => `${Math.round(100 * v)} %`);
    const opts = {
      width: Math.max(200, holder.clientWidth), height: HEIGHT,
      scales: {
        x: { time: false, range: () => [lo, hi] },
        y: chart.unit === "rate" ? { range: () => [0, 1] } : { range: valueRange },
      },
      series: [{ label: "step", value: C.latest((v) => Math.round(v).toLocaleString("en")) }, ...series],
      axes: [Object.assign({}, C.axisStyle(), { incrs: C.WHOLE_STEPS }), yAxis],
      legend: { live: true },
      hooks: { draw: [drawRaw] },
    };
    const plot = new uPlot(opts, [xs, ...columns.map((c) => smooth(c, factor))], holder);
    plot.raw = [xs, ...columns];
    plot.smoothing = factor;
    C.fitWidth(plot, holder, HEIGHT);
    holder.dataset.drawn = "true";
    holder.dataset.lines = String(series.length);
    return plot;
  }

  function setup() {
    const root = document.getElementById("training-curves");
    const data = window.HockeyCharts && window.HockeyCharts.readJson("training-metrics");
    if (!root || !data || !data.steps) return;
    const slider = document.getElementById("smoothing");
    const shown = document.getElementById("smoothing-value");
    const factor = () => (slider ? Number(slider.value) : 0);
    const plots = {};
    data.groups.forEach((group) => group.charts.forEach((chart) => {
      const holder = root.querySelector(`[data-chart="${chart.id}"]`);
      if (holder) plots[chart.id] = drawChart(holder, chart, data.runs, data.steps, factor());
    }));
    window.HockeyCharts.charts = plots;
    if (slider) {
      slider.addEventListener("input", () => {
        const f = factor();
        if (shown) shown.textContent = f.toFixed(2);
        for (const plot of Object.values(plots)) {
          plot.smoothing = f;
          plot.setData([plot.raw[0], ...plot.raw.slice(1).map((c) => smooth(c, f))], false);
          plot.redraw(false, true);
        }
        root.dataset.smoothing = f.toFixed(2);
      });
    }
    root.dataset.drawn = "true";
  }

  function start() {
    if (typeof uPlot === "undefined") return;
    setup();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
