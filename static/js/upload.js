// The upload page (/upload): registers an opponent through POST /api/opponents with fetch.
// The token is read from the form for the one request and kept nowhere else (no storage, no cookie).
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form) return;
  const answer = document.getElementById("upload-answer");
  const kind = document.getElementById("upload-kind");
  const button = document.getElementById("upload-submit");

  function showKind() {
    for (const el of form.querySelectorAll(".for-dreamer")) el.hidden = kind.value !== "dreamer";
  }
  kind.addEventListener("change", showKind);
  showKind();

  function show(ok, parts) {
    answer.hidden = false;
    answer.className = "upload-answer " + (ok ? "upload-ok" : "upload-refused");
    answer.replaceChildren(...parts.map((p) => (typeof p === "string" ? document.createTextNode(p) : p)));
  }

  function link(href, text) {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }

  async function readSidecar(file) {
    if (!file) throw new Error("a Dreamer checkpoint needs its .json (the config it was trained with)");
    let parsed;
    try {
      parsed = JSON.parse(await file.text());
    } catch (error) {
      throw new Error(file.name + " is not JSON: " + error.message);
    }
    if (!parsed || typeof parsed.config !== "object") throw new Error(file.name + " has no config object");
    return parsed;
  }

  async function buildMeta() {
    const meta = { agent: form.agent.value.trim(), kind: kind.value, config: {}, step: 0, notes: form.notes.value };
    if (kind.value === "dreamer") {
      const sidecar = await readSidecar(form.meta.files[0]);
      meta.config = sidecar.config;
      if (Number.isInteger(sidecar.step) && sidecar.step >= 0) meta.step = sidecar.step;
    }
    if (form.step.value !== "") meta.step = Number(form.step.value);
    return meta;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const weights = form.weights.files[0];
    if (!weights) return show(false, ["Choose the weights file."]);
    if (weights.size > Number(form.dataset.maxBytes)) {
      return show(false, [weights.name + " is larger than the server's upload limit."]);
    }
    let meta;
    try {
      meta = await buildMeta();
    } catch (error) {
      return show(false, [error.message]);
    }
    const body = new FormData();
    body.append("meta", JSON.stringify(meta));
    body.append("weights", weights, weights.name);
    button.disabled = true;
    show(true, ["Uploading " + weights.name + " …"]);
    try {
      const response = await fetch("/api/opponents", {
        method: "POST", body: body, credentials: "omit", cache: "no-store",
        headers: { Authorization: "Bearer " + form.token.value.trim() },
      });
      let data = null;
      try { data = await response.json(); } catch (_) { /* not JSON: reported by status */ }
      if (response.ok && data) {
        const verb = data.created ? "Registered " : "Already registered: ";
        show(true, [verb, link("/opponents/" + data.id, data.opponent.name),
                    " (id " + data.id + ", sha256 " + data.sha256.slice(0, 12) + "…)."]);
      } else {
        const detail = data && typeof data.detail === "string" ? data.detail : response.statusText;
        show(false, ["Refused (HTTP " + response.status + "): " + detail]);
      }
    } catch (error) {
      show(false, ["The server could not be reached: " + error.message]);
    } finally {
      button.disabled = false;
    }
  });
})();
