"""Every hyperparameter of the agent and its training in one dataclass, with named presets.

`default` is the plan's configuration; `debug` is tiny, so that a real training step runs in
milliseconds on a CPU (used by the tests and the smoke run). A run's configuration is a preset with
overrides (`--set name=value` on the command line), and is saved as JSON beside every checkpoint.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field, fields

OBS_DIM = 18
ACTION_DIM = 4
ACTOR_GRADIENTS = ("dynamics", "reinforce")
EXPLOITER_OBJECTIVES = ("win", "started")  # agents.evaluation.exploiter.OBJECTIVES
GAME_MODES = ("normal", "shooting", "defense")  # league.hockey Mode.NORMAL, TRAIN_SHOOTING, TRAIN_DEFENSE
DEFAULT_TRAIN_MODES = {"normal": 0.5, "shooting": 0.3, "defense": 0.2}

# Fields `league train --resume RUN --set name=value` may change: they steer collection, replay,
# optimisation steps and bookkeeping, and no tensor's shape, the buffer's layout or the pool's size.
RESUMABLE_FIELDS = frozenset({
    "train_modes", "reward_shaping", "basic_share", "scripted_share", "end_share", "scored_share", "train_ratio", "train_start",
    "actor_warmup",
    "model_lr", "actor_lr", "critic_lr", "grad_clip", "entropy_scale", "replay_value_scale",
    "eval_every", "eval_games", "selection_suite", "checkpoint_every", "log_every", "snapshot_every",
    "exploiter_every", "exploiter_seconds", "exploiter_min_win", "exploiter_pool_size", "exploiter_objective",
    "noise_share", "noise_sigma", "latency_share", "latency_steps",
})

# The range of every integer field: a config is checked against these before any network is built,
# so a config from the network (a league upload) cannot ask for a model that takes minutes or
# gigabytes to build. The sizes reach 16x the default width; the counts, far past any real run.
FIELD_BOUNDS: dict[str, tuple[int, int]] = {
    "obs_dim": (OBS_DIM, OBS_DIM),
    "action_dim": (ACTION_DIM, ACTION_DIM),
    "hidden": (1, 4096),
    "mlp_layers": (1, 16),
    "latent": (1, 1024),
    "recurrent": (1, 4096),
    "horizon": (1, 1000),
    "imagine_stride": (1, 1000),
    "batch_size": (1, 4096),
    "seq_length": (1, 10_000),
    "buffer_capacity": (1, 10**9),
    "train_start": (0, 10**12),
    "actor_warmup": (0, 10**12),
    "num_envs": (1, 1024),
    "snapshot_every": (0, 10**12),
    "pool_size": (1, 10_000),
    "eval_every": (0, 10**12),
    "exploiter_every": (0, 10**12),
    "latency_steps": (1, 50),
    "exploiter_pool_size": (1, 10_000),
    "eval_games": (1, 100_000),
    "checkpoint_every": (0, 10**12),
    "log_every": (0, 10**12),
}


@dataclass(frozen=True)
class DreamerConfig:
    # --- sizes ---
    obs_dim: int = OBS_DIM
    """Observation size (the game's 18 floats, player-one view)."""
    action_dim: int = ACTION_DIM
    """Action size (force x, force y, torque, shoot)."""
    hidden: int = 256
    """Width of every MLP layer (encoder, heads, actor, critic)."""
    mlp_layers: int = 2
    """Hidden layers per MLP."""
    latent: int = 64
    """Size of the Gaussian stochastic state z."""
    recurrent: int = 256
    """Size of the GRU's deterministic state h."""
    # --- world model ---
    free_bits: float = 1.0
    """KL below this many nats (summed over z) is not penalised."""
    kl_dyn_scale: float = 0.5
    """Weight of the dynamics KL (trains the prior towards the posterior)."""
    kl_rep_scale: float = 0.1
    """Weight of the representation KL (keeps the posterior predictable)."""
    min_latent_std: float = 0.1
    """Lower bound of the prior's and posterior's standard deviation."""
    # --- behaviour ---
    horizon: int = 15
    """Imagination length in steps."""
    imagine_stride: int = 2
    """Imagine from every k-th replayed time step (random offset each step; 1 = all of them)."""
    actor_gradient: str = "dynamics"
    """Actor gradient: "dynamics" (returns backpropagated through the imagined steps) or "reinforce"."""
    gamma: float = 0.997
    """Discount factor."""
    lam: float = 0.95
    """Lambda of the lambda-returns."""
    actor_min_std: float = 0.1
    """Lower bound of the actor's standard deviation (before tanh)."""
    actor_max_std: float = 1.0
    """Upper bound of the actor's standard deviation (before tanh)."""
    entropy_scale: float = 3e-4
    """Weight of the actor's entropy bonus."""
    slow_critic_tau: float = 0.02
    """Step size of the slow target critic's moving average (per gradient step)."""
    slow_critic_reg: float = 1.0
    """Weight of the critic's pull towards the slow critic's predictions."""
    replay_value_scale: float = 0.3
    """Weight of the critic's regression onto lambda-returns of the replayed sequences (0 = imagination only)."""
    return_norm_decay: float = 0.99
    """Decay of the moving 5th and 95th return percentiles."""
    return_norm_floor: float = 1.0
    """Smallest return scale (advantages are divided by max(floor, P95 - P5))."""
    # --- optimisation ---
    model_lr: float = 3e-4
    """Learning rate of the world model."""
    actor_lr: float = 3e-5
    """Learning rate of the actor."""
    critic_lr: float = 3e-5
    """Learning rate of the critic."""
    grad_clip: float = 100.0
    """Gradient norm clip of every optimiser."""
    batch_size: int = 16
    """Sequences per gradient step."""
    seq_length: int = 50
    """Time steps per sequence."""
    # --- data and training schedule ---
    buffer_capacity: int = 1_000_000
    """Replay capacity in time steps; the oldest games are dropped first."""
    train_start: int = 1000
    """Environment steps collected before the first gradient step."""
    actor_warmup: int = 0
    """Gradient steps, after a start from a policy checkpoint (`league train --resume CKPT`), in which
    only the world model and the critic learn: they first fit the fresh buffer, and the actor does
    not follow a model that has seen only the checkpoint's own games (0: the actor learns at once)."""
    end_share: float = 0.25
    """Share of replayed sequences that contain the end of a game decided by a goal (else uniform)."""
    scored_share: float = 0.5
    """Share of those end sequences taken from games the learner won (when the buffer holds won and lost ones)."""
    train_ratio: float = 64.0
    """Replayed time steps per environment step (batch_size * seq_length per gradient step)."""
    num_envs: int = 8
    """Games played in lock step during collection (one batched forward pass per step)."""
    reward_shaping: float = 0.0
    """Weight of the game's dense terms (closeness, touch, direction) added to the +1/-1 reward."""
    train_modes: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_TRAIN_MODES))
    """Relative probability of each mode (normal, shooting, defense) for collected games; evaluation is normal."""
    # --- opponents ---
    snapshot_every: int = 20_000
    """Environment steps between the learner's snapshots entering the self-play pool."""
    pool_size: int = 20
    """Most learner snapshots kept in the self-play pool (the oldest leave first)."""
    basic_share: float = 0.5
    """Probability of drawing a basic opponent (weak or strong) instead of a snapshot."""
    scripted_share: float = 0.0
    """Probability of drawing a scripted style (a named one or one drawn from the whole family of
    `agents.evaluation.scripted`) before the basic/snapshot draw: styles unlike the two basic bots."""
    noise_share: float = 0.0
    """Share of collected rounds in which the learner's observations are noisy (all but the keep counters)."""
    noise_sigma: float = 0.2
    """The noise's largest standard deviation; each noisy round draws one uniformly in [0, noise_sigma]."""
    latency_share: float = 0.0
    """Share of collected rounds in which the learner acts on late observations."""
    latency_steps: int = 2
    """The most steps late; each late round draws 1 to latency_steps."""
    exploiter_every: int = 0
    """Environment steps between exploiter searches against the learner (0: none; needs scripted_share
    > 0, the share in which the pool plays them). Each is a random search over the scripted family
    (`agents.evaluation.exploiter`) on seeds of its own by `exploiter_objective`; the best style, if
    it exploits the learner in at least `exploiter_min_win` of as many fresh games, joins the pool's
    fixed styles."""
    exploiter_objective: str = "win"
    """What a search maximises: "win", the style's win share; "started", one minus the learner's
    "started" score against it (the suite's measure of a style: the larger of the share of the games
    the learner starts and does not win, and the learner's loss share), which finds walls it cannot
    score against as well as styles that beat it."""
    exploiter_seconds: float = 60.0
    """CPU seconds of each exploiter search."""
    exploiter_min_win: float = 0.1
    """Exploitation of the learner by `exploiter_objective` (for "win" the style's win share), in fresh
    games after the search, an exploiter needs to join the pool. The best of a search by "started"
    keeps the learner from scoring in a good share of its games: 0.1 admits nearly every search's
    best, about 0.5 only walls (measured against the committed checkpoint: six random styles scored
    0.10-0.55 by "started", 0.00-0.15 by "win")."""
    exploiter_pool_size: int = 50
    """Most exploiters in the pool; beyond it the one the learner beats most leaves."""
    # --- evaluation and checkpoints ---
    eval_every: int = 20_000
    """Environment steps between evaluations against the basic opponents."""
    eval_games: int = 200
    """Games per selection-suite entry in each evaluation, half from each side (strength swings between
    checkpoints: 50 games hide it)."""
    selection_suite: str = "weak,strong,random,defender,shooter,holder"
    """The entries of `agents.evaluation.suite` each evaluation plays (comma-separated); the checkpoint
    whose worst entry scores highest is kept as best."""
    checkpoint_every: int = 5_000
    """Environment steps between checkpoints (weights, optimisers, counters, buffer)."""
    log_every: int = 1_000
    """Environment steps between metric lines."""

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> DreamerConfig:
        """Build from a JSON dict; raises ValueError naming any unknown, missing-typed or bad field."""
        if not isinstance(data, dict):
            raise ValueError(f"config must be a JSON object, got {type(data).__name__}")
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ValueError(f"unknown config field(s): {', '.join(unknown)}")
        values = {}
        for name, value in data.items():
            values[name] = _coerce(name, known[name].type, value)
        config = cls(**values)
        config.validate()
        return config

    def replace(self, **changes) -> DreamerConfig:
        return DreamerConfig.from_dict({**self.to_dict(), **changes})

    def validate(self) -> None:
        """Raise ValueError naming the first field out of its bounds (`FIELD_BOUNDS`, finite numbers)."""
        if self.obs_dim != OBS_DIM or self.action_dim != ACTION_DIM:
            raise ValueError(f"the hockey agent needs obs_dim={OBS_DIM} and action_dim={ACTION_DIM}")
        for name, (low, high) in FIELD_BOUNDS.items():
            value = getattr(self, name)
            if value < low:
                raise ValueError(f"config field {name} must be at least {low}, got {_shown(value)}")
            if value > high:
                raise ValueError(f"config field {name} must be at most {high}, got {_shown(value)}")
        for item in fields(self):
            if item.type == "float" and not math.isfinite(getattr(self, item.name)):
                raise ValueError(f"config field {item.name} must be a finite number, got {getattr(self, item.name)}")
        if not 0 < self.gamma <= 1 or not 0 <= self.lam <= 1:
            raise ValueError("gamma must be in (0, 1] and lam in [0, 1]")
        if not 0 < self.actor_min_std < self.actor_max_std:
            raise ValueError("need 0 < actor_min_std < actor_max_std")
        if self.train_ratio <= 0:
            raise ValueError("train_ratio must be positive")
        for name in ("basic_share", "scripted_share", "end_share", "scored_share", "exploiter_min_win",
                     "noise_share", "latency_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in [0, 1]")
        if not 0 <= self.noise_sigma <= 10:
            raise ValueError(f"noise_sigma must be in [0, 10] (the rink is 10 m long), got {self.noise_sigma}")
        if not 0 <= self.replay_value_scale < math.inf:
            raise ValueError(f"replay_value_scale must be a finite number >= 0, got {self.replay_value_scale}")
        if self.exploiter_objective not in EXPLOITER_OBJECTIVES:
            raise ValueError(f"exploiter_objective must be one of {', '.join(EXPLOITER_OBJECTIVES)}, "
                             f"got {self.exploiter_objective!r}")
        if self.actor_gradient not in ACTOR_GRADIENTS:
            raise ValueError(f"actor_gradient must be one of {', '.join(ACTOR_GRADIENTS)}, got {self.actor_gradient!r}")
        for name in ["model_lr", "actor_lr", "critic_lr", "grad_clip", "min_latent_std", "exploiter_seconds"]:
            if getattr(self, name) <= 0:
                raise ValueError(f"config field {name} must be positive")
        parse_train_modes(self.train_modes)
        if not any(name.strip() for name in self.selection_suite.split(",")):
            raise ValueError("config field selection_suite must name at least one suite entry")

    def mode_probabilities(self) -> list[float]:
        """The probabilities of `GAME_MODES` (in that order) for a collected game, summing to 1."""
        weights = parse_train_modes(self.train_modes)
        total = sum(weights.values())
        return [weights[name] / total for name in GAME_MODES]


def parse_train_modes(value) -> dict[str, float]:
    """`train_modes` from a dict (`{"normal": 0.5, "shooting": 0.3}`, missing modes weigh 0), three
    numbers in the order normal, shooting, defense (`[0.5, 0.3, 0.2]` or `"0.5,0.3,0.2"`), or
    `"normal=0.5,shooting=0.3,defense=0.2"`; raises ValueError unless every weight is a finite
    number >= 0 and they sum to more than 0."""
    where = "config field train_modes"
    if isinstance(value, str):
        parts = [part.strip() for part in value.split(",") if part.strip()]
        if parts and all("=" in part for part in parts):
            value = dict(part.split("=", 1) for part in parts)
            value = {k.strip(): _number(v, where) for k, v in value.items()}
        elif parts and not any("=" in part for part in parts):
            value = [_number(part, where) for part in parts]
        else:
            raise ValueError(f"{where}: cannot read {value!r}; write e.g. normal=0.5,shooting=0.3,defense=0.2")
    if isinstance(value, list | tuple):
        if len(value) != len(GAME_MODES):
            raise ValueError(f"{where} needs {len(GAME_MODES)} weights ({', '.join(GAME_MODES)}), got {len(value)}")
        value = dict(zip(GAME_MODES, value, strict=True))
    if not isinstance(value, dict):
        raise ValueError(f"{where} must map {', '.join(GAME_MODES)} to weights, got {value!r}")
    unknown = sorted(set(value) - set(GAME_MODES))
    if unknown:
        raise ValueError(f"{where}: unknown mode(s) {', '.join(map(str, unknown))}; the modes are {', '.join(GAME_MODES)}")
    weights = {}
    for name in GAME_MODES:
        weight = value.get(name, 0.0)
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not math.isfinite(weight):
            raise ValueError(f"{where}: the weight of {name} must be a number, got {weight!r}")
        if weight < 0:
            raise ValueError(f"{where}: the weight of {name} must not be negative, got {weight}")
        weights[name] = float(weight)
    if sum(weights.values()) <= 0:
        raise ValueError(f"{where}: the weights must sum to more than 0, got {weights}")
    return weights


def _number(text: str, where: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{where}: {text.strip()!r} is not a number") from None


def _shown(value: int | float) -> str:
    """A number for a message: as it is, or its size when it is too long to print."""
    if isinstance(value, int) and value.bit_length() > 64:
        return f"an integer of about {value.bit_length() * 0.30103:.0f} digits"
    return str(value)


def _coerce(name: str, type_name: str, value):
    """Check a JSON value against the field's type (ints may stand for floats, not the reverse)."""
    if type_name == "str":
        if not isinstance(value, str):
            raise ValueError(f"config field {name} must be a string, got {value!r}")
        return value
    if type_name == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"config field {name} must be an integer, got {value!r}")
        return value
    if type_name == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"config field {name} must be a number, got {value!r}")
        try:
            return float(value)
        except OverflowError:  # an integer beyond any float
            raise ValueError(f"config field {name} must be a finite number, got {_shown(value)}") from None
    if name == "train_modes":
        return parse_train_modes(value)
    raise ValueError(f"config field {name} has an unsupported type {type_name}")


PRESETS: dict[str, dict] = {
    "default": {},
    "debug": {
        "hidden": 32, "latent": 8, "recurrent": 32, "horizon": 5, "batch_size": 4, "seq_length": 10,
        "buffer_capacity": 20_000, "train_start": 200, "train_ratio": 10.0, "num_envs": 4,
        "snapshot_every": 500, "pool_size": 3, "eval_every": 1_000, "eval_games": 4,
        "checkpoint_every": 500, "log_every": 200,
    },
}


def parse_override(text: str) -> tuple[str, object]:
    """Parse `name=value`: the value as JSON (`horizon=10`, `model_lr=1e-4`), else as a plain string
    (`actor_gradient=reinforce`); the field's type is checked when the config is built."""
    if "=" not in text:
        raise ValueError(f"override {text!r} must look like name=value")
    name, raw = text.split("=", 1)
    name = name.strip()
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw.strip()
    return name, value


def apply_resume_overrides(config: DreamerConfig, overrides: list[str]) -> tuple[DreamerConfig, dict]:
    """A resumed run's config with `name=value` overrides, and the changed fields ({name: [old, new]}).

    Only `RESUMABLE_FIELDS` may change; any other field raises ValueError naming it."""
    values = config.to_dict()
    for text in overrides:
        name, value = parse_override(text)
        if name not in values:
            raise ValueError(f"unknown config field {name!r} in override {text!r}")
        if name not in RESUMABLE_FIELDS:
            raise ValueError(f"config field {name!r} cannot change in a resumed run (it would not fit the saved "
                             f"state); fields that can: {', '.join(sorted(RESUMABLE_FIELDS))}")
        values[name] = value
    new = DreamerConfig.from_dict(values)
    old_values, new_values = config.to_dict(), new.to_dict()
    changes = {k: [old_values[k], new_values[k]] for k in new_values if new_values[k] != old_values[k]}
    return new, changes


def make_config(preset: str = "default", overrides: list[str] | None = None) -> DreamerConfig:
    """A preset with `name=value` overrides applied; raises ValueError for bad names or values."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
    values = DreamerConfig().to_dict() | PRESETS[preset]
    for text in overrides or []:
        name, value = parse_override(text)
        if name not in values:
            raise ValueError(f"unknown config field {name!r} in override {text!r}")
        values[name] = value
    return DreamerConfig.from_dict(values)
