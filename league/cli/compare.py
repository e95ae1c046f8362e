"""`league compare BASELINE.json CANDIDATE.json`: two suite results (`league eval --suite --output`)
entry by entry, and whether the candidate is better on the whole suite (`agents.evaluation.compare`:
a higher mean score and no entry worse beyond noise)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from league.cli.errors import CommandError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("baseline", type=Path, help="the suite result to compare against (league eval --suite --output)")
    parser.add_argument("candidate", type=Path, help="the suite result compared with it")
    parser.add_argument("--json", action="store_true", help="print the comparison as one JSON object")


def read_suite_result(path: Path, which: str) -> object:
    """The JSON of a suite result file; CommandError naming the file when it cannot be read as JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise CommandError(f"{which} {path}: no such file") from error
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"{which} {path}: cannot be read ({error})") from error
    except json.JSONDecodeError as error:
        raise CommandError(f"{which} {path}: not JSON ({error.msg} at line {error.lineno})") from error


def comparison_report(baseline: object, candidate: object) -> dict:
    """The comparison of two read results; CommandError when either is not a suite result."""
    from agents.evaluation.compare import compare_suites

    try:
        return compare_suites(baseline, candidate)
    except ValueError as error:
        raise CommandError(str(error)) from error


def print_comparison(comparison: dict) -> None:
    from agents.evaluation.compare import comparison_lines

    print("\n".join(comparison_lines(comparison)))


def as_json(comparison: dict) -> dict:
    rows = [{"entry": row.name, "baseline": row.baseline, "candidate": row.candidate, "z": row.z,
             "verdict": row.verdict} for row in comparison["entries"]]
    return {**comparison, "entries": rows}


def run(args: argparse.Namespace) -> int:
    comparison = comparison_report(read_suite_result(args.baseline, "baseline"),
                                   read_suite_result(args.candidate, "candidate"))
    if args.json:
        print(json.dumps(as_json(comparison), allow_nan=False, default=str))
    else:
        print_comparison(comparison)
    return 0
