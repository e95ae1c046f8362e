// Every page: the status strip refreshes itself. The leaderboard page: sorting by any column,
// filtering by lineage, kind or name (a filter that matches nothing says so), and a refresh of
// the table and its rating scale every few seconds while the tab is visible. Refreshed markup comes from the server's fragments (rendered and escaped
// there); this script only moves whole elements around.
(function () {
  "use strict";

  const REFRESH_MS = 5000;

  // The fragment at `url` as a parsed document, or null when the server says nothing changed (204).
  async function fetchFragment(url) {
    const response = await fetch(url, { headers: { Accept: "text/html" }, cache: "no-store" });
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    if (response.status === 204) return null;
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    return doc;
  }

  // Run `task` every REFRESH_MS while the tab is visible; run once at once when it comes back.
  function whileVisible(task) {
    let timer = null;
    const schedule = () => {
      clearTimeout(timer);
      if (!document.hidden) timer = setTimeout(async () => { await task().catch(() => {}); schedule(); }, REFRESH_MS);
    };
    document.addEventListener("visibilitychange", () => {
      const live = document.querySelector(".live");
      if (live) live.classList.toggle("paused", document.hidden);
      if (!document.hidden) task().catch(() => {}).finally(schedule); else clearTimeout(timer);
    });
    schedule();
  }

  function setupStatus() {
    const strip = document.getElementById("status-strip");
    if (!strip) return;
    whileVisible(async () => {
      const doc = await fetchFragment("/fragments/status");
      const fresh = doc.getElementById("status-strip");
      if (fresh) strip.replaceChildren(...fresh.childNodes);
    });
  }

  function setupLeaderboard() {
    const table = document.getElementById("leaderboard");
    if (!table) return;
    const lineage = document.getElementById("filter-lineage");
    const kind = document.getElementById("filter-kind");
    const search = document.getElementById("filter-name");
    const counter = document.getElementById("leaderboard-count");
    const empty = document.getElementById("leaderboard-empty");
    const frame = table.closest(".table-wrap");
    const clear = document.getElementById("filter-clear");
    let sortKey = "rank", sortType = "number", sortDir = 1;

    const value = (row, key, type) => {
      const raw = row.dataset[key] ?? "";
      return type === "number" ? (raw === "" ? -Infinity : Number(raw)) : raw.toLowerCase();
    };

    function apply() {
      const body = table.tBodies[0];
      const rows = Array.from(body.rows);
      rows.sort((a, b) => {
        const x = value(a, sortKey, sortType), y = value(b, sortKey, sortType);
        return (x < y ? -1 : x > y ? 1 : 0) * sortDir || value(a, "rank", "number") - value(b, "rank", "number");
      });
      const wantLineage = lineage ? lineage.value : "", wantKind = kind ? kind.value : "";
      const text = search ? search.value.trim().toLowerCase() : "";
      let shown = 0;
      for (const row of rows) {
        const visible = (!wantLineage || row.dataset.lineage === wantLineage)
          && (!wantKind || row.dataset.kind === wantKind)
          && (!text || (row.dataset.name || "").toLowerCase().includes(text));
        row.hidden = !visible;
        if (visible) shown += 1;
        body.appendChild(row);
      }
      if (counter) counter.textContent = `${shown} of ${rows.length} opponents`;
      if (empty) empty.hidden = shown > 0;
      if (frame) frame.hidden = shown === 0;
      table.querySelectorAll("th.sortable").forEach((th) => {
        th.classList.toggle("sorted-asc", th.dataset.key === sortKey && sortDir === 1);
        th.classList.toggle("sorted-desc", th.dataset.key === sortKey && sortDir === -1);
        th.setAttribute("aria-sort", th.dataset.key === sortKey ? (sortDir === 1 ? "ascending" : "descending") : "none");
      });
    }

    table.querySelectorAll("th.sortable").forEach((th) => {
      th.addEventListener("click", () => {
        if (sortKey === th.dataset.key) sortDir = -sortDir;
        else { sortKey = th.dataset.key; sortType = th.dataset.type || "text"; sortDir = th.dataset.dir === "desc" ? -1 : 1; }
        apply();
      });
    });
    [lineage, kind].forEach((el) => el && el.addEventListener("change", apply));
    if (search) search.addEventListener("input", apply);
    if (clear) {
      clear.addEventListener("click", () => {
        [lineage, kind, search].forEach((el) => { if (el) el.value = ""; });
        apply();
      });
    }

    whileVisible(async () => {
      const since = encodeURIComponent(table.dataset.token || "");
      const doc = await fetchFragment(`/fragments/leaderboard?since=${since}`);
      table.dataset.polled = String(Number(table.dataset.polled || 0) + 1);
      const fresh = doc && doc.querySelector("tbody");
      if (!fresh) return;
      table.tBodies[0].replaceWith(fresh);
      const scale = document.getElementById("rating-scale"), freshScale = doc.getElementById("rating-scale");
      if (scale && freshScale) scale.replaceChildren(...freshScale.childNodes);
      table.dataset.token = doc.querySelector("table").dataset.token || "";
      table.dataset.refreshed = String(Number(table.dataset.refreshed || 0) + 1);
      apply();
    });
    apply();
  }

  function start() {
    setupStatus();
    setupLeaderboard();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
