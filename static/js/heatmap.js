// The head-to-head heatmap: one cell per pair of pool members, coloured by the row member's
// score against the column member (win = 1, draw = 1/2), red below one half, green above.
// Rows and columns are in rank order. Hovering a cell shows the names, W/D/L and game count.
// Data: JSON block #head-to-head {names, ids, cells: [[row, col, wins, draws, losses], ...]}
// with each pair listed once (row < col) from the row member's side.
(function () {
  "use strict";

  const LOSS = [192, 57, 43], EVEN = [243, 243, 243], WIN = [46, 139, 87];

  function mix(a, b, t) {
    return `rgb(${a.map((v, i) => Math.round(v + (b[i] - v) * t)).join(", ")})`;
  }

  function colour(score) {
    return score < 0.5 ? mix(LOSS, EVEN, score * 2) : mix(EVEN, WIN, (score - 0.5) * 2);
  }

  function setup() {
    const wrap = document.getElementById("heatmap");
    const node = document.getElementById("head-to-head");
    if (!wrap || !node) return;
    const data = JSON.parse(node.textContent);
    const n = data.names.length;
    if (n === 0) {
      wrap.innerHTML = '<p class="chart-empty">No opponents yet.</p>';
      return;
    }
    // Full matrix of [wins, draws, losses] from the row's side; null where the pair never met.
    const cells = new Map();
    for (const [i, j, w, d, l] of data.cells) {
      cells.set(i * n + j, [w, d, l]);
      cells.set(j * n + i, [l, d, w]);
    }
    const canvas = wrap.querySelector("canvas");
    const tooltip = document.getElementById("heatmap-tooltip");
    const available = Math.max(240, wrap.clientWidth - 8);
    const labels = n <= 40;
    const margin = labels ? 150 : 0;
    const cell = Math.max(2, Math.min(56, Math.floor((available - margin) / n)));
    const size = margin + cell * n;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = size * ratio;
    canvas.height = size * ratio;
    canvas.style.width = `${size}px`;
    canvas.style.height = `${size}px`;
    const ctx = canvas.getContext("2d");
    ctx.scale(ratio, ratio);
    const styles = getComputedStyle(document.documentElement);
    const ink = styles.getPropertyValue("--muted").trim();
    const empty = styles.getPropertyValue("--line").trim();

    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const c = cells.get(i * n + j);
        if (i === j) continue;
        if (c) {
          const games = c[0] + c[1] + c[2];
          ctx.fillStyle = colour((c[0] + c[1] / 2) / games);
        } else {
          ctx.fillStyle = empty;
        }
        ctx.fillRect(margin + j * cell, margin + i * cell, cell - (cell > 4 ? 1 : 0), cell - (cell > 4 ? 1 : 0));
        if (c && cell >= 34) {
          // Large cells also carry the score as a number.
          const score = (c[0] + c[1] / 2) / (c[0] + c[1] + c[2]);
          ctx.fillStyle = Math.abs(score - 0.5) > 0.3 ? "#fff" : "#1d2327";
          ctx.font = "600 12px system-ui, sans-serif";
          ctx.textAlign = "center";
          ctx.textBaseline = "middle";
          ctx.fillText(`${Math.round(score * 100)}%`, margin + (j + 0.5) * cell, margin + (i + 0.5) * cell);
        }
      }
    }
    if (labels) {
      ctx.fillStyle = ink;
      ctx.font = `${Math.min(12, cell - 2)}px system-ui, sans-serif`;
      ctx.textBaseline = "middle";
      const clip = (s) => (s.length > 20 ? `${s.slice(0, 19)}\u2026` : s);
      for (let i = 0; i < n; i++) {
        ctx.textAlign = "right";
        ctx.fillText(clip(`${i + 1}. ${data.names[i]}`), margin - 6, margin + i * cell + cell / 2);
        ctx.save();
        ctx.translate(margin + i * cell + cell / 2, margin - 6);
        ctx.rotate(-Math.PI / 2);
        ctx.textAlign = "left";
        ctx.fillText(clip(`${i + 1}. ${data.names[i]}`), 0, 0);
        ctx.restore();
      }
    }
    wrap.dataset.drawn = "true";

    canvas.addEventListener("mousemove", (event) => {
      const box = canvas.getBoundingClientRect();
      const j = Math.floor((event.clientX - box.left - margin) / cell);
      const i = Math.floor((event.clientY - box.top - margin) / cell);
      if (i < 0 || j < 0 || i >= n || j >= n || i === j) { tooltip.style.display = "none"; return; }
      const c = cells.get(i * n + j);
      tooltip.replaceChildren();
      const title = document.createElement("div");
      const strong = document.createElement("strong");
      strong.textContent = `#${i + 1} ${data.names[i]}`;
      title.append(strong, document.createTextNode(` vs #${j + 1} ${data.names[j]}`));
      const line = document.createElement("div");
      if (c) {
        const games = c[0] + c[1] + c[2];
        const score = (100 * (c[0] + c[1] / 2) / games).toFixed(0);
        line.textContent = `${games} games: ${c[0]} won, ${c[1]} drawn, ${c[2]} lost (score ${score}%)`;
      } else {
        line.textContent = "0 games: never met";
      }
      tooltip.append(title, line);
      tooltip.dataset.games = c ? String(c[0] + c[1] + c[2]) : "0";
      tooltip.style.display = "block";
      tooltip.style.left = `${event.clientX + 14}px`;
      tooltip.style.top = `${event.clientY + 14}px`;
    });
    canvas.addEventListener("mouseleave", () => { tooltip.style.display = "none"; });
    canvas.addEventListener("click", (event) => {
      const box = canvas.getBoundingClientRect();
      const i = Math.floor((event.clientY - box.top - margin) / cell);
      if (i >= 0 && i < n) window.location.href = `/opponents/${data.ids[i]}`;
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
