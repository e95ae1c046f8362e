// Replay of one recorded hockey game on a canvas, drawn as the game draws its rink, under a strip
// with who is who (player one left, player two right, in their colours), the score and the clock.
//
// Reads the game record (format "hockey-game-record", version 1) from the JSON script block
// #game-record and the players' names from #replay-sides, and draws frame by frame: frame 0 is
// the position after reset, frame i the position after step i. World units are metres (x in
// [0, 10], y in [0, 8], y up); one metre is 60 px of the game's 600 x 480 picture, which sits
// below a 48 px strip. It never plays by itself: Play, or space while the replay has focus (click
// it); arrows step, Home/End jump. "Download GIF" renders every frame the same way into an
// animated GIF in the browser (gif.js), at the game's speed.
(function () {
  "use strict";

  const SCALE = 60; // game pixels per metre
  const W = 600 / SCALE, H = 480 / SCALE, CX = W / 2, CY = H / 2;
  const GOAL_SIZE = 75;
  const STEP_SECONDS = 1 / 50;
  const STRIP = 48; // game pixels of the strip above the rink
  const PICTURE_H = 480 + STRIP;
  const GIF_WIDTH = 480;
  const STRIP_COLOURS = { background: "rgb(29, 35, 39)", ink: "rgb(255, 255, 255)", muted: "rgb(170, 178, 185)" };
  const COLOURS = {
    background: "rgb(255, 255, 255)",
    centre: "rgb(204, 204, 204)",
    goalArea: "rgb(239, 203, 138)",
    wall: "rgb(0, 0, 0)",
    goal: "rgb(128, 128, 128)",
    one: "rgb(235, 98, 53)",
    two: "rgb(93, 158, 199)",
    puck: "rgb(0, 0, 0)",
  };

  const px = (points) => points.map(([x, y]) => [x / SCALE, y / SCALE]);
  const flipY = (points) => points.map(([x, y]) => [x, -y]);
  const flipX = (points) => points.map(([x, y]) => [-x, y]);
  const flipXY = (points) => points.map(([x, y]) => [-x, -y]);
  const box = (hx, hy) => [[-hx, hy], [hx, hy], [hx, -hy], [-hx, -hy]];

  // Static bodies in the game's creation order: decorations, walls, goals.
  const WALL_SIDE = [[-10, 135], [10, 128], [10, -5], [-10, -5]];
  const RINK = [
    { circle: 100 / SCALE, at: [CX, CY], fill: COLOURS.centre },
    { circle: GOAL_SIZE / SCALE, at: [CX - 250 / SCALE, CY], fill: COLOURS.goalArea },
    { poly: px([[0, 100], [100, 100], [100, -100], [0, -100]]), at: [CX - 240 / SCALE, CY], fill: COLOURS.background },
    { circle: GOAL_SIZE / SCALE, at: [CX + 250 / SCALE, CY], fill: COLOURS.goalArea },
    { poly: px([[100, 100], [0, 100], [0, -100], [100, -100]]), at: [CX + 140 / SCALE, CY], fill: COLOURS.background },
    { poly: px(box(250, 10)), at: [CX, H - 0.5], fill: COLOURS.wall },
    { poly: px(box(250, 10)), at: [CX, 0.5], fill: COLOURS.wall },
    { poly: px(flipY(WALL_SIDE)), at: [CX - 245 / SCALE, H - 0.5], fill: COLOURS.wall },
    { poly: px(WALL_SIDE), at: [CX - 245 / SCALE, 0.5], fill: COLOURS.wall },
    { poly: px(flipXY(WALL_SIDE)), at: [CX + 245 / SCALE, H - 0.5], fill: COLOURS.wall },
    { poly: px(flipX(WALL_SIDE)), at: [CX + 245 / SCALE, 0.5], fill: COLOURS.wall },
    { poly: px(box(10, GOAL_SIZE)), at: [CX - 245 / SCALE - 10 / SCALE, CY], fill: COLOURS.goal },
    { poly: px(box(10, GOAL_SIZE)), at: [CX + 245 / SCALE + 10 / SCALE, CY], fill: COLOURS.goal },
  ];
  const RACKET = [[-10, 20], [5, 20], [5, -20], [-10, -20], [-18, -10], [-21, 0], [-18, 10]]
    .map(([x, y]) => [x * 1.2 / SCALE, y * 1.2 / SCALE]);
  const RACKET_TWO = flipX(RACKET);
  const PUCK_RADIUS = 13 / SCALE;

  function fillPolygon(ctx, points, at, angle, fill) {
    const c = Math.cos(angle), s = Math.sin(angle);
    ctx.beginPath();
    points.forEach(([x, y], i) => {
      const wx = at[0] + c * x - s * y, wy = at[1] + s * x + c * y;
      if (i === 0) ctx.moveTo(wx, wy); else ctx.lineTo(wx, wy);
    });
    ctx.closePath();
    ctx.fillStyle = fill;
    ctx.fill();
  }

  function fillCircle(ctx, at, radius, fill) {
    ctx.beginPath();
    ctx.arc(at[0], at[1], radius, 0, 2 * Math.PI);
    ctx.fillStyle = fill;
    ctx.fill();
  }

  // `text` cut to `width` pixels in the middle, keeping the end that tells names apart.
  function fitText(ctx, text, width) {
    if (ctx.measureText(text).width <= width) return text;
    const at = text.lastIndexOf("@");
    let tail = at > 0 ? text.slice(at) : text.slice(-6);
    while (tail.length > 1 && ctx.measureText(`\u2026${tail}`).width > width) tail = tail.slice(1);
    let head = text.slice(0, text.length - tail.length);
    while (head.length > 0 && ctx.measureText(`${head}\u2026${tail}`).width > width) head = head.slice(0, -1);
    return `${head}\u2026${tail}`;
  }

  // The score after `frame`: a goal counts on the last frame of a game that ended with one.
  function score(record, frame, last) {
    if (frame < last || record.end_reason !== "goal") return [0, 0];
    return record.winner === 1 ? [1, 0] : record.winner === -1 ? [0, 1] : [0, 0];
  }

  // One frame of the game onto `ctx`, `width` canvas pixels wide (height: width * PICTURE_H / 600).
  function drawFrame(ctx, width, record, sides, frame) {
    const frames = record.frames, last = frames.puck.length - 1;
    const unit = width / 600;  // canvas pixels per game pixel
    const height = Math.round(PICTURE_H * unit), strip = STRIP * unit;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = STRIP_COLOURS.background;
    ctx.fillRect(0, 0, width, strip);
    ctx.fillStyle = COLOURS.background;
    ctx.fillRect(0, strip, width, height - strip);

    const [one, two] = score(record, frame, last);
    ctx.textBaseline = "middle";
    ctx.font = `700 ${Math.max(14, Math.round(22 * unit))}px system-ui, sans-serif`;
    ctx.textAlign = "center";
    ctx.fillStyle = STRIP_COLOURS.ink;
    ctx.fillText(`${one} : ${two}`, width / 2, strip * 0.4);
    ctx.font = `${Math.max(9, Math.round(12 * unit))}px system-ui, sans-serif`;
    ctx.fillStyle = STRIP_COLOURS.muted;
    const ended = frame === last ? (record.end_reason === "goal" ? " \u00b7 goal" : " \u00b7 time up") : "";
    ctx.fillText(`${(frame * STEP_SECONDS).toFixed(2)} s${ended}`, width / 2, strip * 0.8);
    const room = width / 2 - 48 * unit;
    ctx.font = `600 ${Math.max(11, Math.round(15 * unit))}px system-ui, sans-serif`;
    const swatch = 12 * unit, edge = 10 * unit;
    ctx.fillStyle = COLOURS.one;
    ctx.fillRect(edge, strip / 2 - swatch / 2, swatch, swatch);
    ctx.textAlign = "left";
    ctx.fillText(fitText(ctx, sides.one, room - swatch - 6 * unit), edge + swatch + 6 * unit, strip / 2);
    ctx.fillStyle = COLOURS.two;
    ctx.fillRect(width - edge - swatch, strip / 2 - swatch / 2, swatch, swatch);
    ctx.textAlign = "right";
    ctx.fillText(fitText(ctx, sides.two, room - swatch - 6 * unit), width - edge - swatch - 6 * unit, strip / 2);

    // Metres to canvas pixels with y pointing up, as the game flips its picture.
    const k = width / W;
    ctx.setTransform(k, 0, 0, -k, 0, height);
    for (const body of RINK) {
      if (body.circle) fillCircle(ctx, body.at, body.circle, body.fill);
      else fillPolygon(ctx, body.poly, body.at, 0, body.fill);
    }
    const p1 = frames.player_one[frame], p2 = frames.player_two[frame], puck = frames.puck[frame];
    fillPolygon(ctx, RACKET, [p1[0], p1[1]], p1[2], COLOURS.one);
    fillPolygon(ctx, RACKET_TWO, [p2[0], p2[1]], p2[2], COLOURS.two);
    fillCircle(ctx, [puck[0], puck[1]], PUCK_RADIUS, COLOURS.puck);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
  }

  // The GIF's colours: the rink's, the strip's, and steps between them for anti-aliased edges.
  function gifPalette() {
    const parse = (c) => c.match(/\d+/g).slice(0, 3).map(Number);
    const base = [...Object.values(COLOURS), ...Object.values(STRIP_COLOURS)].map(parse);
    const palette = [];
    const add = (c) => { if (!palette.some((p) => p.every((v, i) => v === c[i]))) palette.push(c); };
    base.forEach(add);
    for (let g = 0; g <= 255; g += 17) add([g, g, g]);
    const mixWith = (c, d, t) => c.map((v, i) => Math.round(v + (d[i] - v) * t));
    for (const c of base) {
      for (const d of [[255, 255, 255], parse(STRIP_COLOURS.background), parse(COLOURS.centre), parse(COLOURS.goalArea)]) {
        for (const t of [0.33, 0.66]) if (palette.length < 256) add(mixWith(c, d, t));
      }
    }
    return palette.slice(0, 256);
  }

  class Replay {
    constructor(root, record, sides) {
      this.root = root;
      this.record = record;
      this.sides = sides;
      this.frames = record.frames;
      this.last = record.frames.puck.length - 1;
      this.canvas = root.querySelector("canvas");
      this.ctx = this.canvas.getContext("2d");
      this.slider = root.querySelector("[data-role=scrub]");
      this.playButton = root.querySelector("[data-role=play]");
      this.speedSelect = root.querySelector("[data-role=speed]");
      this.clock = root.querySelector("[data-role=clock]");
      this.banner = root.querySelector("[data-role=result]");
      this.gifButton = root.querySelector("[data-role=gif]");
      this.gifStatus = root.querySelector("[data-role=gif-status]");
      this.frame = 0;
      this.playing = false;
      this.carry = 0;
      this.lastTick = null;
      this.slider.max = String(this.last);
      this.root.dataset.playing = "false";
      this.bind();
      this.resize();
      new ResizeObserver(() => this.resize()).observe(this.canvas);
      this.seek(0);
    }

    bind() {
      this.playButton.addEventListener("click", () => this.toggle());
      this.root.querySelector("[data-role=back]").addEventListener("click", () => this.step(-1));
      this.root.querySelector("[data-role=forward]").addEventListener("click", () => this.step(1));
      this.root.querySelector("[data-role=start]").addEventListener("click", () => { this.pause(); this.seek(0); });
      this.root.querySelector("[data-role=end]").addEventListener("click", () => { this.pause(); this.seek(this.last); });
      this.slider.addEventListener("input", () => { this.pause(); this.seek(Number(this.slider.value)); });
      if (this.gifButton) this.gifButton.addEventListener("click", () => this.downloadGif());
      // Keys only while the replay has focus: elsewhere space and arrows scroll the page as usual.
      this.root.addEventListener("keydown", (event) => {
        const target = event.target;
        if (target.closest("input, select, textarea")) return;
        if (target.closest("button, a") && (event.key === " " || event.key === "Enter")) return;  // their own click
        const actions = {
          " ": () => this.toggle(), ArrowLeft: () => this.step(-1), ArrowRight: () => this.step(1),
          Home: () => { this.pause(); this.seek(0); }, End: () => { this.pause(); this.seek(this.last); },
        };
        if (actions[event.key]) { event.preventDefault(); actions[event.key](); }
      });
    }

    resize() {
      const ratio = window.devicePixelRatio || 1;
      const width = Math.max(1, Math.round(this.canvas.clientWidth * ratio));
      const height = Math.round(width * PICTURE_H / 600);
      if (this.canvas.width !== width || this.canvas.height !== height) {
        this.canvas.width = width;
        this.canvas.height = height;
        this.draw();
      }
    }

    get speed() { return Number(this.speedSelect.value) || 1; }

    toggle() { if (this.playing) this.pause(); else this.play(); }

    play() {
      if (this.frame >= this.last) this.seek(0);
      this.playing = true;
      this.lastTick = null;
      this.carry = 0;
      this.playButton.textContent = "Pause";
      this.root.dataset.playing = "true";
      requestAnimationFrame((t) => this.tick(t));
    }

    pause() {
      this.playing = false;
      this.playButton.textContent = "Play";
      this.root.dataset.playing = "false";
    }

    tick(now) {
      if (!this.playing) return;
      if (this.lastTick !== null) {
        this.carry += (now - this.lastTick) / 1000 * this.speed / STEP_SECONDS;
        const advance = Math.floor(this.carry);
        if (advance > 0) {
          this.carry -= advance;
          this.seek(Math.min(this.last, this.frame + advance));
        }
      }
      this.lastTick = now;
      if (this.frame >= this.last) { this.pause(); return; }
      requestAnimationFrame((t) => this.tick(t));
    }

    step(delta) { this.pause(); this.seek(this.frame + delta); }

    seek(frame) {
      this.frame = Math.max(0, Math.min(this.last, Math.round(frame)));
      this.slider.value = String(this.frame);
      this.root.dataset.frame = String(this.frame);
      this.draw();
      this.describe();
    }

    describe() {
      const seconds = (this.frame * STEP_SECONDS).toFixed(2);
      this.clock.textContent = `step ${this.frame} / ${this.last} \u00b7 ${seconds} s`;
      const done = this.frame === this.last;
      const winner = this.record.winner;
      const keep = this.frames.keep ? this.frames.keep[this.frame] : null;
      let text = keep && (keep[0] > 0 || keep[1] > 0)
        ? `${keep[0] > 0 ? this.sides.one : this.sides.two} holds the puck` : "";
      if (done) {
        text = winner === 1 ? `Goal: ${this.sides.one} wins` : winner === -1 ? `Goal: ${this.sides.two} wins`
          : (this.record.end_reason === "time_limit" ? "Time up: draw" : "Draw");
      }
      this.banner.textContent = text;
      this.banner.className = `result-banner ${done && winner === 1 ? "side-one" : done && winner === -1 ? "side-two" : ""}`;
      this.root.dataset.finished = String(done);
    }

    draw() { drawFrame(this.ctx, this.canvas.width, this.record, this.sides, this.frame); }

    // Every frame into an animated GIF at the game's speed (2 centiseconds a step), then download it.
    async downloadGif() {
      if (!window.HockeyGif || this.gifButton.disabled) return;
      this.gifButton.disabled = true;
      const width = GIF_WIDTH, height = Math.round(GIF_WIDTH * PICTURE_H / 600);
      const canvas = document.createElement("canvas");
      canvas.width = width;
      canvas.height = height;
      const ctx = canvas.getContext("2d", { willReadFrequently: true });
      const writer = new window.HockeyGif.Writer(width, height, gifPalette(), Math.round(STEP_SECONDS * 100));
      try {
        for (let frame = 0; frame <= this.last; frame++) {
          drawFrame(ctx, width, this.record, this.sides, frame);
          writer.addFrame(ctx.getImageData(0, 0, width, height).data);
          if (frame % 10 === 0) {
            this.gifStatus.textContent = `making the GIF: ${Math.round(100 * frame / (this.last + 1))} %`;
            await new Promise((resolve) => setTimeout(resolve, 0));
          }
        }
        const blob = new Blob([writer.finish()], { type: "image/gif" });
        const link = document.createElement("a");
        link.href = URL.createObjectURL(blob);
        link.download = `match-${this.sides.match}-game-${this.sides.game}.gif`;
        document.body.append(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
        this.gifStatus.textContent = `GIF ready: ${writer.frames} frames, ${(blob.size / 1024 / 1024).toFixed(1)} MiB`;
        this.root.dataset.gifFrames = String(writer.frames);
      } finally {
        this.gifButton.disabled = false;
      }
    }
  }

  function start() {
    const root = document.getElementById("replay");
    const data = document.getElementById("game-record");
    if (!root || !data) return;
    const record = JSON.parse(data.textContent);
    const sidesNode = document.getElementById("replay-sides");
    const sides = sidesNode ? JSON.parse(sidesNode.textContent) : { one: "player one", two: "player two", match: 0, game: 0 };
    window.hockeyReplay = new Replay(root, record, sides);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
