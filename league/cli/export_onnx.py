"""`league export-onnx CHECKPOINT OUT.onnx`: our Dreamer agent as a self-contained ONNX policy.

The file takes `obs` [B, 18] and `state` [B, H] (the RSSM's memory and the last action, zeros at a
game's start) and answers `action` [B, 4] and `state_out` [B, H], acting as the checkpoint does
deterministically. It is checked and trial-run as the league would check an upload before it is
written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from league.cli.errors import CommandError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", type=Path, help="a checkpoint's .safetensors file (its .json beside it)")
    parser.add_argument("out", type=Path, help="where to write the .onnx file")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset to export with (default 17)")


def run(args: argparse.Namespace) -> int:
    import torch

    from agents.checkpoint import load_agent
    from agents.export_onnx import export_agent
    from league.core.errors import InvalidInput
    from league.core.kinds.onnx.check import check_onnx
    from league.core.kinds.onnx.sandbox import trial_run

    torch.set_num_threads(1)
    if args.out.suffix != ".onnx":
        raise CommandError(f"{args.out}: the file name must end in .onnx")
    try:
        agent, _ = load_agent(args.checkpoint)
    except (FileNotFoundError, ValueError) as error:
        raise CommandError(str(error)) from error
    data = export_agent(agent, args.opset)
    try:
        signature = check_onnx(data)
        trial = trial_run(data, signature)
    except InvalidInput as error:
        raise CommandError(f"the exported model would be refused by the league: {error}") from error
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data)} bytes): opset {signature.opset}, {signature.nodes} nodes, "
          f"{signature.parameters} parameters, recurrent state of width {signature.state_size}")
    print(f"trial run: {trial.step_ms[1]:.2f} ms a step for 1 game, {trial.step_ms[64]:.2f} ms for 64")
    print(f"register it with: league register {args.out} --agent NAME")
    return 0
