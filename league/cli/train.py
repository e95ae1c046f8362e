"""`league train`: train the Dreamer agent by self-play (stop any time, continue with --resume)."""

from __future__ import annotations

import argparse
import signal
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from league.cli.errors import CommandError
from league.cli.settings import read_settings
from league.workers.client import (
    AuthenticationError,
    IncompatibleServer,
    LeagueClient,
    LeagueClientError,
    PermissionDenied,
    RetryPolicy,
    ServerError,
    ServerUnreachable,
)
from league.workers.settings import WorkerSettings
from league.workers.trainer_link import TrainerLink

REGISTER_EVERY = 5000  # environment steps between checkpoints registered with a league server


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", default="default",
                        help="configuration preset: default, or debug (tiny, for trying things) (default: default)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE",
                        help="override one config field, e.g. --set train_ratio=32 (repeatable); with --resume "
                             "only fields that fit the saved state (agents.config.RESUMABLE_FIELDS), e.g. "
                             "--set train_modes=normal=0.5,shooting=0.3,defense=0.2")
    parser.add_argument("--run-dir", type=Path, help="where the run keeps its state (default runs/dreamer-PRESET-TIME)")
    parser.add_argument("--resume", type=Path, metavar="RUN",
                        help="continue a run directory, or start from a checkpoint .safetensors alone")
    parser.add_argument("--steps", type=int, default=5_000_000,
                        help="stop after exactly this many environment steps in all, counted over resumes "
                             "(default: 5000000)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--device", default="cpu", help="torch device: cpu or cuda (default: cpu)")
    parser.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"],
                        help="bf16 autocast for imagination and actor-critic; auto picks it where it is native "
                             "(default: auto)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of a new run")
    parser.add_argument("--wandb", action="store_true", help="also log to Weights & Biases (WANDB_MODE=offline works)")
    parser.add_argument("--no-tensorboard", action="store_true", help="write no TensorBoard events")
    add_server_arguments(parser)  # --server, --token, --register-every, ...: train connected to a league


def run(args: argparse.Namespace) -> int:
    import torch

    from agents.config import make_config
    from agents.training.trainer import Trainer
    from agents.utils.precision import resolve_precision

    if args.threads < 1:
        raise CommandError("--threads must be at least 1")
    if args.steps < 1:
        raise CommandError("--steps must be at least 1")
    torch.set_num_threads(args.threads)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise CommandError(f"--device {args.device}: no CUDA device is available")
    try:
        precision = resolve_precision(args.precision, args.device)
    except ValueError as error:
        raise CommandError(str(error)) from error
    options = {"seed": args.seed, "device": args.device, "precision": precision,
               "wandb": args.wandb, "tensorboard": not args.no_tensorboard}
    try:
        if args.resume is not None:
            run_dir, build = _resume(args)
        else:
            config = make_config(args.preset, args.overrides)
            run_dir = args.run_dir or Path("runs") / f"dreamer-{args.preset}-{time.strftime('%Y%m%d-%H%M%S')}"
            if (run_dir / "state" / "trainer.json").exists():
                raise CommandError(f"{run_dir} already holds a run; continue it with --resume {run_dir}")
            build = partial(Trainer, config, run_dir)
    except (ValueError, FileNotFoundError) as error:
        raise CommandError(str(error)) from error
    link = connect(args, run_name=run_dir.name, run_dir=run_dir)
    try:
        try:  # with a server, the trainer draws opponents through it and reports checkpoints and metrics to it
            trainer = build(**options, **(link.trainer_options() if link is not None else {}))
        except (ValueError, FileNotFoundError) as error:
            raise CommandError(str(error)) from error
        if args.resume is not None and trainer.config_changes and args.overrides:
            latest = trainer.config_changes[-1]
            print(f"changed at step {latest['env_steps']}: " + ", ".join(
                f"{name} {old} -> {new}" for name, (old, new) in latest["changes"].items()), flush=True)
        print(f"run directory: {trainer.run_dir}  (continue with: league train --resume {trainer.run_dir})")
        for signum in (signal.SIGTERM, signal.SIGINT):  # a machine taken away saves like Ctrl-C (also in background)
            signal.signal(signum, _interrupt)
        try:
            counters = trainer.run(args.steps)
        except RuntimeError as error:
            if "wandb" in str(error):
                raise CommandError(str(error)) from error
            raise
        except KeyboardInterrupt:
            trainer.save()
            print(f"interrupted; saved. Continue with: league train --resume {trainer.run_dir}")
            return 130
    finally:
        if link is not None:
            link.close()
    print(f"done: {counters['env_steps']} environment steps, {counters['games']} games, "
          f"{counters['grad_steps']} gradient steps; checkpoints in {trainer.run_dir / 'checkpoints'}")
    return 0


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _resume(args) -> tuple[Path, Callable]:
    """The run directory `--resume` continues, and how to build its trainer (from the saved state,
    or from a checkpoint alone); the builder takes the `Trainer` keywords."""
    from agents.training.trainer import Trainer

    source = args.resume
    if source.suffix in (".safetensors", ".json"):
        if not source.exists():
            raise CommandError(f"--resume {source}: no such checkpoint")
        run_dir = args.run_dir or source.parent.parent
        if (run_dir / "state" / "trainer.json").exists() and args.run_dir is None:
            return run_dir, partial(Trainer.resume, run_dir, args.overrides)
        return run_dir, partial(Trainer.from_checkpoint, source, run_dir, args.overrides)
    if not source.is_dir():
        raise CommandError(f"--resume {source}: no such run directory or checkpoint")
    if (source / "state" / "trainer.json").is_file():
        return source, partial(Trainer.resume, source, args.overrides)
    checkpoints = sorted((source / "checkpoints").glob("step_*.safetensors"))
    if not checkpoints:
        raise CommandError(f"--resume {source}: neither saved training state nor checkpoints found")
    return source, partial(Trainer.from_checkpoint, checkpoints[-1], source, args.overrides)


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """The `league train` options for a league server (all optional: without --server it trains alone)."""
    settings = read_settings(WorkerSettings)
    group = parser.add_argument_group("league server (optional)")
    group.add_argument("--server", default=settings.server_url,
                       help="league server URL: register checkpoints, sample opponents, post metrics "
                            "(env LEAGUE_SERVER_URL)")
    group.add_argument("--token", default=settings.token,
                       help="trainer bearer token (env LEAGUE_TOKEN); `league token create --user USER --role trainer`")
    group.add_argument("--register-every", type=int, default=REGISTER_EVERY,
                       help=f"register a checkpoint as a new opponent every N environment steps "
                            f"(default: {REGISTER_EVERY})")
    group.add_argument("--agent-name", default=None,
                       help="lineage name of this run's snapshots on the server (default: the run's name)")
    group.add_argument("--sample-strategy", default="pfsp_hard", choices=["pfsp_hard", "pfsp_even", "uniform"],
                       help="how the server picks opponents (default: pfsp_hard)")


def connect(args: argparse.Namespace, *, run_name: str, run_dir: Path) -> TrainerLink | None:
    """A `TrainerLink` when `--server` was given (None otherwise), after checking the server.

    Raises `CommandError` with a clear message for a bad URL, a missing or refused token, an
    unreachable server or one that plays another game version.
    """
    if not getattr(args, "server", None):
        return None
    if not args.token:
        raise CommandError("--server needs a token: pass --token T or set LEAGUE_TOKEN "
                           "(make one with `league token create --user USER --role trainer`)")
    if args.register_every < 1:
        raise CommandError(f"--register-every must be at least 1, got {args.register_every}")
    try:
        client = LeagueClient(args.server, args.token, retry=RetryPolicy(attempts=3, max_delay=4.0))
    except ValueError as error:
        raise CommandError(str(error)) from None
    try:
        client.check_compatible()
    except (ServerUnreachable, ServerError) as error:
        raise CommandError(f"cannot reach the league server: {error}") from None
    except IncompatibleServer as error:
        raise CommandError(str(error)) from None
    agent = args.agent_name or run_name
    link = TrainerLink(client, agent, run_dir / "opponent-cache", register_every=args.register_every,
                       strategy=args.sample_strategy)
    try:  # a cheap authenticated call, so a wrong token fails now rather than at the first checkpoint
        client.post_metrics(agent, [])
    except (AuthenticationError, PermissionDenied) as error:
        client.close()
        raise CommandError(f"the server refused this trainer: {error}") from None
    except LeagueClientError:
        pass  # the metrics endpoint may refuse an empty batch: the token was accepted before that
    return link
