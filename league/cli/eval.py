"""`league eval CHECKPOINT`: wins, draws and losses against the basic opponents, or the whole suite.

Plain: the weak and strong basic opponents, from both sides by default (each seed once as player
one, once as player two). `--suite`: every entry of `agents.evaluation.suite` (bots, passive,
random, drills, scripted styles, `--snapshots`, noise and latency, an exploiter searched for
`--exploiter-seconds` of CPU time, the mirror match) with 95 % Wilson intervals and a worst case;
`--baseline OLD.json` then compares the result with an earlier one (`league compare`).
Both play on the suite's seeds (from 3,000,000,000), never those that select checkpoints in training.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from league.cli.compare import as_json, comparison_report, print_comparison, read_suite_result
from league.cli.errors import CommandError

SIDES = {"both": (1, 2), "one": (1,), "two": (2,)}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", type=Path, help="a checkpoint's .safetensors file (its .json beside it)")
    parser.add_argument("--games", type=int, default=1000,
                        help="games against each opponent or suite entry, half from each side (default 1000)")
    parser.add_argument("--opponent", choices=["both", "weak", "strong"], default="both",
                        help="which basic opponent to play: weak, strong, or both (default: both)")
    parser.add_argument("--side", choices=list(SIDES), default="both",
                        help="the side the checkpoint plays without --suite (default both, mirrored)")
    parser.add_argument("--suite", action="store_true", help="play the whole evaluation suite")
    parser.add_argument("--snapshots", type=Path, nargs="*", default=[],
                        help="with --suite: checkpoints (early snapshots of one's own) to play as entries")
    parser.add_argument("--styles", type=int, default=8, help="with --suite: sampled scripted styles (default 8)")
    parser.add_argument("--exploiter-seconds", type=float, default=300.0,
                        help="with --suite: CPU seconds of the exploiter search (default 300, 0 skips it)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser.add_argument("--output", type=Path, help="also write the result as JSON to this file")
    parser.add_argument("--baseline", type=Path,
                        help="with --suite: an earlier suite result (--output) to compare with, entry by entry")


def run(args: argparse.Namespace) -> int:
    import torch

    from agents.checkpoint import load_policy
    from agents.evaluation.suite import SUITE_SEED_BASE, run_suite
    from agents.training.evaluation import evaluate

    if args.games < 1:
        raise CommandError("--games must be at least 1")
    if args.threads < 1:
        raise CommandError("--threads must be at least 1")
    if args.styles < 0 or args.exploiter_seconds < 0:
        raise CommandError("--styles and --exploiter-seconds must not be negative")
    if args.baseline is not None and not args.suite:
        raise CommandError("--baseline compares suite results: it needs --suite")
    baseline = None if args.baseline is None else read_suite_result(args.baseline, "baseline")
    if baseline is not None:
        comparison_report(baseline, baseline)  # not a suite result: say so before hours of games
    torch.set_num_threads(args.threads)
    try:
        policy = load_policy(args.checkpoint)
        for snapshot in args.snapshots:
            load_policy(snapshot)
    except (FileNotFoundError, ValueError) as error:
        raise CommandError(str(error)) from error
    if args.suite:
        result = run_suite(policy, args.games, copy=lambda: load_policy(args.checkpoint), snapshots=args.snapshots,
                           styles=args.styles, exploiter_seconds=args.exploiter_seconds,
                           on_entry=None if args.json else _print_entry,
                           on_search=None if args.json else _print_search)
        report = {"checkpoint": str(args.checkpoint), **result}
        if args.output is not None:
            args.output.write_text(json.dumps(report, indent=1))
        comparison = None if baseline is None else comparison_report(baseline, report)
        if args.json:
            print(json.dumps(report if comparison is None else {**report, "comparison": as_json(comparison)},
                             default=str))
        else:
            _print_summary(result)
            if comparison is not None:
                print(f"against the baseline {args.baseline}:")
                print_comparison(comparison)
        return 0
    names = ["weak", "strong"] if args.opponent == "both" else [args.opponent]
    results = {name: evaluate(policy, args.games, weak=name == "weak", progress=not args.json,
                              sides=SIDES[args.side]) for name in names}
    report = {"checkpoint": str(args.checkpoint), "side": args.side, "seed_base": SUITE_SEED_BASE, **results}
    if args.output is not None:
        args.output.write_text(json.dumps(report, indent=1))
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"{args.checkpoint}: {args.games} games per opponent, side {args.side}, starting side alternating, "
          f"seeds from {SUITE_SEED_BASE}")
    print(f"{'opponent':<10}{'wins':>7}{'draws':>7}{'losses':>8}{'win %':>8}  95 % interval")
    for name, r in results.items():
        low, high = r["win_ci"]
        print(f"{name:<10}{r['wins']:>7}{r['draws']:>7}{r['losses']:>8}{100 * r['win_rate']:>8.1f}"
              f"  {100 * low:.1f}-{100 * high:.1f}")
    return 0


def _print_entry(name: str, r: dict) -> None:
    low, high = r["win_ci"]
    started = "" if r["started_win_rate"] is None else f"  started won {100 * r['started_win_rate']:.1f} %"
    print(f"{name:<26} W/D/L {r['wins']:>4}/{r['draws']:>4}/{r['losses']:>4}  win {100 * r['win_rate']:5.1f} % "
          f"[{100 * low:.1f}, {100 * high:.1f}]  loss {100 * r['loss_rate']:5.1f} %  score {_pct(r['score'])}{started}",
          flush=True)


def _print_search(r: dict) -> None:
    if r["candidates"] % 10 == 0:
        print(f"exploiter search: {r['candidates']} candidates, {r['cpu_seconds']:.0f} CPU s, "
              f"best wins {100 * r['win_rate']:.1f} %", flush=True)


def _print_summary(result: dict) -> None:
    w = result["worst"]
    print(f"worst case: score {_pct(w['score'])} ({w['entry']}); games started won at worst "
          f"{_pct(w['started_win_rate'])} ({w['started_entry']})"
          + (f"; mirror draws {_pct(w['mirror_draw_rate'])}" if "mirror_draw_rate" in w else ""))


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"
