// Replay of one recorded hockey game on a canvas, drawn as the game draws its rink.
//
// Reads the game record (format "hockey-game-record", version 1) from the JSON script block
// #game-record and draws frame by frame: frame 0 is the position after reset, frame i the
// position after step i. World units are metres (x in [0, 10], y in [0, 8], y up); one metre is
// 60 px of the game's 600 x 480 picture. Keys: space play/pause, arrows step, Home/End.
(function () {
  "use strict";

  const SCALE = 60; // game pixels per metre
  const W = 600 / SCALE, H = 480 / SCALE, CX = W / 2, CY = H / 2;
  const GOAL_SIZE = 75;
  const STEP_SECONDS = 1 / 50;
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

  class Replay {
    constructor(root, record) {
      this.root = root;
      this.record = record;
      this.frames = record.frames;
      this.last = record.frames.puck.length - 1;
      this.canvas = root.querySelector("canvas");
      this.ctx = this.canvas.getContext("2d");
      this.slider = root.querySelector("[data-role=scrub]");
      this.playButton = root.querySelector("[data-role=play]");
      this.speedSelect = root.querySelector("[data-role=speed]");
      this.clock = root.querySelector("[data-role=clock]");
      this.banner = root.querySelector("[data-role=result]");
      this.frame = 0;
      this.playing = false;
      this.carry = 0;
      this.lastTick = null;
      this.slider.max = String(this.last);
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
      document.addEventListener("keydown", (event) => {
        const target = event.target.closest ? event.target : document.body;
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
      const height = Math.round(width * 480 / 600);
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
      this.clock.textContent = `step ${this.frame} / ${this.last} · ${seconds} s`;
      const done = this.frame === this.last;
      const winner = this.record.winner;
      const keep = this.frames.keep ? this.frames.keep[this.frame] : null;
      let text = keep && (keep[0] > 0 || keep[1] > 0)
        ? (keep[0] > 0 ? "player one holds the puck" : "player two holds the puck") : "";
      if (done) {
        text = winner === 1 ? "Goal: player one wins" : winner === -1 ? "Goal: player two wins"
          : (this.record.end_reason === "time_limit" ? "Time up: draw" : "Draw");
      }
      this.banner.textContent = text;
      this.root.dataset.finished = String(done);
    }

    draw() {
      const ctx = this.ctx;
      const k = this.canvas.width / W;
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.fillStyle = COLOURS.background;
      ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
      // Metres to canvas pixels with y pointing up, as the game flips its picture.
      ctx.setTransform(k, 0, 0, -k, 0, this.canvas.height);
      for (const body of RINK) {
        if (body.circle) fillCircle(ctx, body.at, body.circle, body.fill);
        else fillPolygon(ctx, body.poly, body.at, 0, body.fill);
      }
      const i = this.frame;
      const one = this.frames.player_one[i], two = this.frames.player_two[i], puck = this.frames.puck[i];
      fillPolygon(ctx, RACKET, [one[0], one[1]], one[2], COLOURS.one);
      fillPolygon(ctx, RACKET_TWO, [two[0], two[1]], two[2], COLOURS.two);
      fillCircle(ctx, [puck[0], puck[1]], PUCK_RADIUS, COLOURS.puck);
    }
  }

  function start() {
    const root = document.getElementById("replay");
    const data = document.getElementById("game-record");
    if (!root || !data) return;
    const record = JSON.parse(data.textContent);
    window.hockeyReplay = new Replay(root, record);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
