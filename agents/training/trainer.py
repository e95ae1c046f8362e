"""The training loop: play games, learn from replay at a set ratio, evaluate, snapshot, checkpoint.

A run directory holds everything needed to continue:

    config.json                     the configuration
    state/agent.safetensors         weights and normalisers      state/optim.safetensors  optimisers, torch RNG
    state/trainer.json              counters, numpy RNG, opponent pool, evaluations
    state/pool/NAME.safetensors     the learner's snapshots in the self-play pool
    state/buffer.npz                the replay buffer
    checkpoints/step_N.safetensors  policy checkpoints (+ .json: config, step, games, evaluation)
    checkpoints/best.safetensors    a copy of the evaluated checkpoint with the highest score so far (`run_files`)
                                    (the worst entry's score over the selection suite, `config.selection_suite`)
    metrics.jsonl, tensorboard/     metrics

Saving happens between rounds of games, every `checkpoint_every` environment steps and at the end;
each file is written atomically, the trainer state last. `Trainer.resume(run_dir)` continues a run;
`Trainer.from_checkpoint(path, run_dir)` starts again from a policy checkpoint alone (fresh
optimisers, empty buffer: it plays `train_start` steps before training again).

Collected games are normal games or training drills (`config.train_modes`), all into the same
buffer; the pool's statistics and `train_win_rate` count normal games only, each drill has its own
`train_MODE_win_rate` / `train_MODE_loss_rate`.

Opponents come from an opponent source (`agents.opponents.source.OpponentSource`): the self-play
pool, or whatever `opponent_source(pool)` builds around it (a league server's link does). The
trainer reports through callbacks: `on_checkpoint(path, metadata)` after each policy checkpoint,
`on_metrics(line)` after each line of metrics.jsonl.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file
from tqdm import tqdm

from agents.checkpoint import agent_from_tensors, load_agent, save_checkpoint
from agents.config import GAME_MODES, DreamerConfig, apply_resume_overrides
from agents.evaluation.suite import selection_entries
from agents.hockey_dreamer import HockeyDreamer
from agents.opponents.self_play import SelfPlayManager
from agents.opponents.source import OpponentSource
from agents.policy import DreamerPolicy
from agents.training.evaluation import evaluate_selection
from agents.training.exploiters import find_exploiter
from agents.training.games import collect_games
from agents.training.metrics import MetricsLogger, Progress, RunningMeans, shown
from agents.training.run_files import keep_if_best, prune_checkpoints, save_snapshots, save_tensors
from agents.training.views import draw_view
from agents.utils.buffer import EpisodeBuffer
from league.hockey import GAME_VERSION

COUNTERS = ("env_steps", "games", "grad_steps", "last_log", "last_eval", "last_snapshot", "last_checkpoint",
            "last_exploiter", "actor_from")  # actor_from: the gradient step from which the actor learns


class Trainer:
    def __init__(self, config: DreamerConfig, run_dir: str | Path, *, seed: int = 0, device: str = "cpu",
                 precision: str = "fp32",
                 opponent_source: Callable[[SelfPlayManager], OpponentSource] | None = None,
                 on_checkpoint: Callable[[Path, dict], None] | None = None,
                 on_metrics: Callable[[dict], None] | None = None,
                 tensorboard: bool = True, wandb: bool = False, progress: bool = True):
        """`opponent_source(pool)` builds the opponent source around the trainer's self-play pool
        (default: the pool itself); `on_checkpoint(path, metadata)` runs after each policy
        checkpoint, `on_metrics(line)` after each metrics line is written."""
        selection_entries(config.selection_suite)  # an unknown entry fails now, not at the first evaluation
        if config.exploiter_every and config.scripted_share == 0:
            raise ValueError("exploiter_every needs scripted_share > 0: the pool plays its exploiters in that share")
        self.config = config
        self.run_dir = Path(run_dir)
        self.state_dir = self.run_dir / "state"
        self.device = device
        self.progress = progress
        self.rng = np.random.default_rng(seed)
        torch.manual_seed(seed)
        self.agent = HockeyDreamer(config, device=device, precision=precision)
        self.buffer = EpisodeBuffer(config.buffer_capacity, config.obs_dim, config.action_dim)
        pool = SelfPlayManager(self._snapshot_policy, self.rng, config.pool_size, config.basic_share,
                               config.scripted_share, config.exploiter_pool_size)
        self.opponents: OpponentSource = pool if opponent_source is None else opponent_source(pool)
        self.on_checkpoint = on_checkpoint
        self.on_metrics = on_metrics
        self.counters = dict.fromkeys(COUNTERS, 0)
        self.train_credit = 0.0
        self.evaluations: list[dict] = []
        self.best: dict | None = None  # the best evaluated checkpoint: env_steps, score, checkpoint
        self.recent = {mode: deque(maxlen=100) for mode in GAME_MODES}  # winners of recent games, per mode
        self.config_changes: list[dict] = []  # {"env_steps", "changes": {field: [old, new]}} per resume with --set
        self.means = RunningMeans()
        self._wandb, self._tensorboard = wandb, tensorboard
        self.logger: MetricsLogger | None = None
        self._bar = None
        self._progress: Progress | None = None

    # ----- construction from saved state -----
    @classmethod
    def resume(cls, run_dir: str | Path, overrides: list[str] | None = None, **kwargs) -> Trainer:
        """Continue a run; `overrides` (`name=value`) may change the fields in
        `agents.config.RESUMABLE_FIELDS` (ValueError naming any other), recorded in the run's config."""
        run_dir = Path(run_dir)
        state_dir = run_dir / "state"
        if not (state_dir / "trainer.json").is_file():
            raise FileNotFoundError(f"{run_dir} holds no saved training state (state/trainer.json)")
        saved = json.loads((state_dir / "trainer.json").read_text())
        if not isinstance(saved, dict) or not isinstance(saved.get("config"), dict):
            raise ValueError(f"{state_dir / 'trainer.json'} holds no saved configuration")
        saved_config = {"train_modes": {"normal": 1.0}, **saved["config"]}  # runs from before the drills
        config, changes = apply_resume_overrides(DreamerConfig.from_dict(saved_config), overrides or [])
        trainer = cls(config, run_dir, **kwargs)
        trainer.agent.restore_state(load_file(state_dir / "agent.safetensors"))
        optim = load_file(state_dir / "optim.safetensors")
        torch.set_rng_state(optim.pop("rng.torch"))
        trainer.agent.load_optimizer_tensors(optim)
        trainer.counters.update(saved["counters"])
        for key in COUNTERS:  # a schedule newer than the saved run starts from where it stands
            if key.startswith("last_") and key not in saved["counters"]:
                trainer.counters[key] = trainer.counters["env_steps"]
        trainer.train_credit = saved["train_credit"]
        trainer.evaluations = saved["evaluations"]
        trainer.best = saved.get("best")
        trainer.config_changes = saved.get("config_changes", [])
        trainer._record_changes(changes)
        trainer.rng.bit_generator.state = saved["numpy_rng"]
        states = {p.stem: load_file(p) for p in (state_dir / "pool").glob("*.safetensors")}
        trainer.opponents.load_json(saved["pool"], states)
        buffer_path = state_dir / "buffer.npz"
        if buffer_path.is_file():
            trainer.buffer = EpisodeBuffer.load(buffer_path, trainer.config.buffer_capacity)
        return trainer

    @classmethod
    def from_checkpoint(cls, checkpoint: str | Path, run_dir: str | Path, overrides: list[str] | None = None,
                        **kwargs) -> Trainer:
        """Start again from a policy checkpoint alone; `overrides` as in `resume` (RESUMABLE_FIELDS only)."""
        agent, meta = load_agent(checkpoint)
        config, changes = apply_resume_overrides(agent.config, overrides or [])
        trainer = cls(config, run_dir, **kwargs)
        trainer.agent.restore_state(agent.state())
        trainer.counters.update({k: int(meta.get(k, 0)) for k in ("env_steps", "games", "grad_steps")})
        trainer._record_changes(changes)
        for key in COUNTERS:  # every schedule starts from the checkpoint's step
            if key.startswith("last_"):
                trainer.counters[key] = trainer.counters["env_steps"]
        trainer.counters["actor_from"] = trainer.counters["grad_steps"] + config.actor_warmup
        return trainer

    def _record_changes(self, changes: dict) -> None:
        """Note the `--set` changes of this start ({field: [old, new]}) at the current step, if any."""
        if changes:
            self.config_changes.append({"env_steps": self.counters["env_steps"], "changes": changes})

    # ----- the loop -----
    def run(self, total_steps: int) -> dict:
        """Train until `total_steps` environment steps in all (counted over resumes)."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "config.json").write_text(json.dumps(self.config.to_dict(), indent=2))
        self.logger = MetricsLogger(self.run_dir, self._tensorboard, self._wandb, self.run_dir.name,
                                    self.config.to_dict())
        learner = DreamerPolicy(self.agent, deterministic=False)
        self.agent.train()
        c = self.counters
        mix = self.config.mode_probabilities()
        if self.progress:
            print("training games: " + ", ".join(f"{m} {p:.2f}" for m, p in zip(GAME_MODES, mix, strict=True)),
                  flush=True)
        self._progress = Progress(c["env_steps"], total_steps)
        bar = self._bar = tqdm(total=total_steps, initial=min(c["env_steps"], total_steps), desc="train",
                               unit="step", disable=None if self.progress else True)
        try:
            while c["env_steps"] < total_steps:
                name, opponent = self.opponents.sample()
                # the last round plays no more games than steps are left, and stops at the budget
                remaining = total_steps - c["env_steps"]
                n = min(self.config.num_envs, remaining)
                seeds = self.rng.integers(2**31, size=self.config.num_envs).tolist()[:n]
                firsts = (self.rng.random(self.config.num_envs) < 0.5).tolist()[:n]
                modes = self.draw_modes(self.config.num_envs)[:n]
                before = c["env_steps"]
                games = collect_games(learner, opponent, seeds, one_starting=firsts, modes=modes,
                                      reward_shaping=self.config.reward_shaping, on_step=self._after_step,
                                      max_steps=remaining, view=draw_view(self.config, self.rng))
                for game in games:
                    self.buffer.add_episode(game.obs, game.actions, game.rewards, game.terminated)
                    if not game.finished:  # cut at the budget: its steps are data, it is no game played
                        continue
                    mode = GAME_MODES[int(game.mode)]
                    if mode == "normal":
                        self.opponents.record_result(name, game.winner)
                    self.recent[mode].append(game.winner)
                    c["games"] += 1
                    c[f"games_{mode}"] = c.get(f"games_{mode}", 0) + 1
                bar.update(min(c["env_steps"], total_steps) - min(before, total_steps))
                bar.set_postfix(self._postfix(), refresh=False)
                self._periodic()
        finally:
            bar.close()
        self.save()
        self.logger.close()
        return dict(c)

    def draw_modes(self, n: int) -> list[int]:
        """`n` game modes (indices into `GAME_MODES`, the values of `league.hockey.Mode`) drawn by `train_modes`."""
        return self.rng.choice(len(GAME_MODES), size=n, p=self.config.mode_probabilities()).tolist()

    def _after_step(self, stepped: int) -> None:
        self.counters["env_steps"] += stepped
        if len(self.buffer) < self.config.train_start:
            return
        self.train_credit += stepped * self.config.train_ratio / (self.config.batch_size * self.config.seq_length)
        while self.train_credit >= 1.0:
            self.train_credit -= 1.0
            batch = self.buffer.sample(self.config.batch_size, self.config.seq_length, self.rng,
                                       end_share=self.config.end_share, scored_share=self.config.scored_share)
            self.means.add(self.agent.train_step(batch, learn_actor=self.counters["grad_steps"] >= self.counters["actor_from"]))
            self.counters["grad_steps"] += 1

    def recent_rates(self) -> dict[str, float]:
        """Win and loss shares of the last 100 collected games of each mode played so far:
        `train_win_rate` / `train_loss_rate` for normal games, `train_MODE_win_rate` / `..._loss_rate` for drills."""
        rates = {}
        for mode, winners in self.recent.items():
            if not winners and mode != "normal":
                continue
            n = max(1, len(winners))
            prefix = "train" if mode == "normal" else f"train_{mode}"
            rates[f"{prefix}_win_rate"] = sum(w > 0 for w in winners) / n
            rates[f"{prefix}_loss_rate"] = sum(w < 0 for w in winners) / n
        return rates

    def _postfix(self) -> dict:
        rates = self.recent_rates()
        post = {"win": f"{rates['train_win_rate']:.2f}", "loss": f"{rates['train_loss_rate']:.2f}"}
        for mode in GAME_MODES[1:]:
            if f"train_{mode}_win_rate" in rates:
                post[f"{mode} win"] = f"{rates[f'train_{mode}_win_rate']:.2f}"
        post["grad"] = self.counters["grad_steps"]
        if "model_loss" in self.means.sums:
            post["wm"] = f"{self.means.sums['model_loss'] / self.means.counts['model_loss']:.2f}"
        return post

    def _periodic(self) -> None:
        c, cfg = self.counters, self.config
        step = c["env_steps"]
        if step - c["last_log"] >= cfg.log_every:
            c["last_log"] = step
            line = self._log(step, {
                **self.means.pop(), "games": c["games"], "grad_steps": c["grad_steps"],
                **{f"games_{m}": c.get(f"games_{m}", 0) for m in GAME_MODES},
                "buffer_steps": len(self.buffer), **self.recent_rates()})
            if self.progress and self._bar.disable:  # no terminal: a plain line instead of the bar
                drills = "".join(f" {m} W/L {line[f'train_{m}_win_rate']:.2f}/{line[f'train_{m}_loss_rate']:.2f}"
                                 for m in GAME_MODES[1:] if f"train_{m}_win_rate" in line)
                print(f"{self._progress.text(step)} games {c['games']} grad {c['grad_steps']} "
                      f"win {line['train_win_rate']:.2f} loss {line['train_loss_rate']:.2f}{drills} "
                      f"wm {shown(line.get('model_loss'), '.3f')} actor {shown(line.get('actor_loss'), '.4f')}",
                      flush=True)
        if step - c["last_snapshot"] >= cfg.snapshot_every:
            c["last_snapshot"] = step
            self.opponents.add_snapshot(self.agent.state(), step)
        if cfg.exploiter_every and step - c["last_exploiter"] >= cfg.exploiter_every:
            c["last_exploiter"] = step
            self.search_exploiter()
        evaluation = None
        if step - c["last_eval"] >= cfg.eval_every:
            c["last_eval"] = step
            evaluation = self.evaluate(cfg.eval_games)
            if self.progress and self._bar.disable:
                print("evaluation at step {}: {}".format(step, "  ".join(
                    f"{name} W/D/L {r['wins']}/{r['draws']}/{r['losses']}"
                    for name, r in evaluation.items() if isinstance(r, dict))), flush=True)
        if step - c["last_checkpoint"] >= cfg.checkpoint_every or evaluation is not None:
            c["last_checkpoint"] = step
            self.save(evaluation)

    def evaluate(self, games: int) -> dict:
        """Play the selection suite with a copy of the current weights (the learner's memory is untouched):
        {entry: result} plus `score` (the worst entry's) and `worst_entry`."""
        policy = DreamerPolicy(agent_from_tensors(self.agent.state(), self.config))
        result = evaluate_selection(policy, self.config.selection_suite, games)
        record = {"env_steps": self.counters["env_steps"], "games": games, **result}
        self.evaluations.append(record)
        self._log(self.counters["env_steps"], {
            "eval_worst_score": result["score"],
            **{f"eval_{name}_{key}": value for name, r in result.items() if isinstance(r, dict)
               for key, value in r.items() if key in ("win_rate", "loss_rate")}})
        return record

    def search_exploiter(self) -> dict:
        """Search the scripted family for `exploiter_seconds` of CPU against a copy of the current weights
        (`agents.training.exploiters`, by `exploiter_objective`); a style that exploits the learner in at
        least `exploiter_min_win` of its fresh games joins the pool's fixed styles. Returns the metrics."""
        step, cfg = self.counters["env_steps"], self.config
        policy = DreamerPolicy(agent_from_tensors(self.agent.state(), cfg))
        params, metrics = find_exploiter(policy, cfg.exploiter_seconds, self.rng, cfg.exploiter_objective)
        name = f"exploiter-{step:09d}"
        confirmed = metrics["exploiter_confirmed_exploitation"]
        joined = confirmed >= cfg.exploiter_min_win and self.opponents.add_style(name, params, step) == name
        metrics["exploiter_joined"] = int(joined)
        self._log(step, metrics)
        if self.progress:
            how = ("wins {:.0%} of the search's games, {:.0%} of fresh ones" if cfg.exploiter_objective == "win" else
                   "exploits the learner by {:.0%} in the search, {:.0%} in fresh games (the share of the games it "
                   "starts and does not win, or its loss share)")
            print(f"exploiter search at step {step}: best of {metrics['exploiter_candidates']} styles "
                  + how.format(metrics["exploiter_exploitation"], confirmed)
                  + (f"; joins the pool as {name}" if joined else ""), flush=True)
        return metrics

    def _log(self, step: int, metrics: dict) -> dict:
        """Write a metrics line (metrics.jsonl, TensorBoard, W&B) and hand it to `on_metrics`."""
        line = self.logger.log(step, metrics)
        if self.on_metrics is not None:
            self.on_metrics(line)
        return line

    def _snapshot_policy(self, state: dict) -> DreamerPolicy:
        return DreamerPolicy(agent_from_tensors(state, self.config), name="snapshot")

    # ----- saving -----
    def save(self, evaluation: dict | None = None) -> Path:
        """Write a policy checkpoint and the full training state; returns the checkpoint path."""
        c = self.counters
        self.state_dir.mkdir(parents=True, exist_ok=True)
        meta = {"game_version": GAME_VERSION, "env_steps": c["env_steps"], "step": c["env_steps"],
                "games": c["games"], "grad_steps": c["grad_steps"],
                "evaluation": evaluation or (self.evaluations[-1] if self.evaluations else None)}
        path = save_checkpoint(self.run_dir / "checkpoints" / f"step_{c['env_steps']:09d}", self.agent, meta)
        if evaluation is not None:
            self.best = keep_if_best(path, evaluation, self.best, self.config.selection_suite, c["env_steps"])
        self.buffer.save(self.state_dir / "buffer.npz")
        save_tensors(self.state_dir / "agent.safetensors", self.agent.state())
        optim = self.agent.optimizer_tensors()
        optim["rng.torch"] = torch.get_rng_state()
        save_tensors(self.state_dir / "optim.safetensors", optim)
        save_snapshots(self.state_dir / "pool", self.opponents.snapshot_tensors())
        saved = {"config": self.config.to_dict(), "counters": c, "train_credit": self.train_credit,
                 "numpy_rng": self.rng.bit_generator.state, "pool": self.opponents.to_json(),
                 "evaluations": self.evaluations,
                 "config_changes": self.config_changes, "best": self.best,
                 "latest_checkpoint": str(path.relative_to(self.run_dir))}
        tmp = self.state_dir / "trainer.json.tmp"
        tmp.write_text(json.dumps(saved, indent=1))
        tmp.replace(self.state_dir / "trainer.json")
        prune_checkpoints(self.run_dir / "checkpoints", path)
        if self.on_checkpoint is not None:
            self.on_checkpoint(path, meta)
        return path
