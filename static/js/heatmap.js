// The head-to-head heatmap: one cell per pair of pool members, coloured by the row member's
// score against the column member (win = 1, draw = 1/2), red below one half, green above.
// Rows and columns are in rank order. Hovering a cell shows the names, W/D/L and game count;
// clicking it opens the pair's page, clicking a name opens that opponent. Cells grow to fill the
// card (up to a size that still fits the window); names are shown whole where they fit, else
// shortened in the middle so that the part that tells them apart stays (the step after "@").
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

  const FONT = "12px system-ui, sans-serif";
  const MAX_MARGIN = 260, MAX_CELL = 96;

  // `text` shortened to `width` pixels: the head, an ellipsis and the distinguishing tail (from the
  // last "@", else the last six characters), the tail kept whole as long as it fits.
  function fitLabel(ctx, text, width) {
    if (ctx.measureText(text).width <= width) return text;
    const at = text.lastIndexOf("@");
    let tail = at > 0 ? text.slice(at) : text.slice(-6);
    while (tail.length > 1 && ctx.measureText(`\u2026${tail}`).width > width) tail = tail.slice(1);
    let head = text.slice(0, text.length - tail.length);
    while (head.length > 0 && ctx.measureText(`${head}\u2026${tail}`).width > width) head = head.slice(0, -1);
    return `${head}\u2026${tail}`;
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
    // The card shrinks to the matrix: size it from the room its parent gives.
    const room = (el) => { const st = getComputedStyle(el); return parseFloat(st.paddingLeft) + parseFloat(st.paddingRight); };
    const inset = room(wrap) + 2;
    const available = Math.max(160, wrap.parentElement.clientWidth - room(wrap.parentElement) - inset);
    const tall = Math.max(240, window.innerHeight - 160);
    const labels = n <= 60;
    const ranked = data.names.map((name, i) => `${i + 1}. ${name}`);
    const measure = canvas.getContext("2d");
    measure.font = FONT;
    const widest = labels ? Math.max(...ranked.map((t) => measure.measureText(t).width)) : 0;
    const margin = labels ? Math.ceil(Math.min(MAX_MARGIN, available * 0.4, widest + 10)) : 0;
    const cell = Math.max(2, Math.min(MAX_CELL, Math.floor((Math.min(available, tall) - margin) / n)));
    const size = margin + cell * n;
    const shown = labels ? ranked.map((t) => fitLabel(measure, t, margin - 8)) : [];
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
      ctx.font = cell >= 12 ? FONT : `${Math.max(6, cell - 2)}px system-ui, sans-serif`;
      ctx.textBaseline = "middle";
      for (let i = 0; i < n; i++) {
        ctx.textAlign = "right";
        ctx.fillText(shown[i], margin - 6, margin + i * cell + cell / 2);
        ctx.save();
        ctx.translate(margin + i * cell + cell / 2, margin - 6);
        ctx.rotate(-Math.PI / 2);
        ctx.textAlign = "left";
        ctx.fillText(shown[i], 0, 0);
        ctx.restore();
      }
    }
    wrap.dataset.drawn = "true";
    wrap.dataset.margin = String(margin);
    wrap.dataset.cell = String(cell);
    wrap.dataset.labels = JSON.stringify(shown);

    canvas.addEventListener("mousemove", (event) => {
      const box = canvas.getBoundingClientRect();
      const j = Math.floor((event.clientX - box.left - margin) / cell);
      const i = Math.floor((event.clientY - box.top - margin) / cell);
      if (i < 0 || j < 0 || i >= n || j >= n || i === j) { tooltip.style.display = "none"; canvas.style.cursor = ""; return; }
      canvas.style.cursor = "pointer";
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
      const hint = document.createElement("div");
      hint.className = "muted";
      hint.textContent = "click for their games and replays";
      tooltip.append(title, line, hint);
      tooltip.dataset.games = c ? String(c[0] + c[1] + c[2]) : "0";
      tooltip.style.display = "block";
      tooltip.style.left = `${event.clientX + 14}px`;
      tooltip.style.top = `${event.clientY + 14}px`;
    });
    canvas.addEventListener("mouseleave", () => { tooltip.style.display = "none"; });
    canvas.addEventListener("click", (event) => {
      const box = canvas.getBoundingClientRect();
      const x = event.clientX - box.left - margin, y = event.clientY - box.top - margin;
      const i = Math.floor(y / cell), j = Math.floor(x / cell);
      if (x < 0 && i >= 0 && i < n) window.location.href = `/opponents/${data.ids[i]}`;
      else if (y < 0 && j >= 0 && j < n) window.location.href = `/opponents/${data.ids[j]}`;
      else if (i >= 0 && j >= 0 && i < n && j < n && i !== j) window.location.href = `/opponents/${data.ids[i]}/vs/${data.ids[j]}`;
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
