"""Running an uploaded ONNX model at arm's length: in a child process with limits, and a trial run.

`OnnxProcess` starts `child.py` in an isolated interpreter (`python -I`: no user site, no
`PYTHON*` variables, the script's directory not on the path) in a fresh, empty working directory
with a bare environment; the child limits its own memory, CPU time and file writes before it
reads the model, and loads it from bytes with onnxruntime (one thread, no graph optimisation).
Every exchange has a deadline: a model that does not answer in time is killed (`ModelTimeout`),
one that fails or dies raises `ModelFailed`. Nothing the child sends is unpickled: answers are raw
float32 of the sizes the parent expects.

`trial_run` is the last check before an upload is stored: load the model, then time batches of
1 and 64 against the budget and check that the actions are finite (two trials at a time: more
uploads at once wait their turn).
"""

from __future__ import annotations

import os
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from league.core.kinds.onnx.check import ACTION_SIZE, OBS_SIZE, TRIAL_BATCHES, OnnxSignature, refuse
from league.core.kinds.onnx.limits import OnnxLimits

CHILD = Path(__file__).with_name("child.py")
MESSAGE_MAX = 2000
TRIALS_AT_ONCE = threading.BoundedSemaphore(2)  # concurrent uploads wait rather than each start a process


class ModelFailed(Exception):
    """The model's process refused a request, failed to load the model or died."""


class ModelTimeout(ModelFailed):
    """The model's process did not answer in time (and was killed)."""


def _child_environment() -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "LC_ALL": "C"}
    if "LD_LIBRARY_PATH" in os.environ:
        env["LD_LIBRARY_PATH"] = os.environ["LD_LIBRARY_PATH"]
    return env


class OnnxProcess:
    """One ONNX model loaded in its own process; `run(obs, state, timeout)` -> (actions, next states)."""

    def __init__(self, data: bytes, state_size: int, *, memory_mb: int, load_seconds: float,
                 cpu_seconds: int = 0) -> None:
        self.state_size = int(state_size)
        self.directory = tempfile.mkdtemp(prefix="onnx-policy-")
        command = [sys.executable, "-I", str(CHILD), str(memory_mb * 2**20), str(int(cpu_seconds))]
        try:
            self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=subprocess.DEVNULL, cwd=self.directory, env=_child_environment(),
                                            close_fds=True)
        except BaseException:
            shutil.rmtree(self.directory, ignore_errors=True)
            raise
        assert self.process.stdin is not None and self.process.stdout is not None  # both are pipes
        self._to_child = self.process.stdin.fileno()
        self._from_child = self.process.stdout.fileno()
        os.set_blocking(self._to_child, False)
        deadline = time.monotonic() + load_seconds
        try:
            self._write(struct.pack("<Q", len(data)) + bytes(data) + struct.pack("<I", self.state_size), deadline,
                        "loading the model")
            self._expect(b"R", deadline, "loading the model")
        except BaseException:
            self.close()
            raise

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def run(self, obs: np.ndarray, state: np.ndarray, timeout: float) -> tuple[np.ndarray, np.ndarray]:
        """Actions (rows, 4) and next states (rows, H) for observations (rows, 18) and states (rows, H)."""
        obs = np.ascontiguousarray(obs, dtype="<f4")
        state = np.ascontiguousarray(state, dtype="<f4")
        rows = obs.shape[0]
        if obs.shape != (rows, OBS_SIZE) or state.shape != (rows, self.state_size):
            raise ValueError(f"observations {obs.shape} and states {state.shape} do not fit a batch of {rows}")
        deadline = time.monotonic() + timeout
        self._write(struct.pack("<I", rows) + obs.tobytes() + state.tobytes(), deadline, "a step")
        self._expect(b"A", deadline, "a step")
        answer = np.frombuffer(self._read(rows * (ACTION_SIZE + self.state_size) * 4, deadline, "a step"), "<f4")
        return answer[: rows * ACTION_SIZE].reshape(rows, ACTION_SIZE), answer[rows * ACTION_SIZE:].reshape(
            rows, self.state_size)

    def close(self) -> None:
        """Stop the process (if it still runs) and remove its working directory."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> OnnxProcess:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- the pipe, with deadlines --

    def _timeout(self, what: str) -> ModelTimeout:
        self.close()
        return ModelTimeout(f"the model did not finish {what} in time")

    def _died(self, what: str) -> ModelFailed:
        self.process.wait()
        self.close()
        code = self.process.returncode
        how = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
        hint = " (out of CPU time)" if code == -24 else " (out of memory or crashed)" if code < 0 else ""
        return ModelFailed(f"the model's process {how}{hint} during {what}")

    def _write(self, data: bytes, deadline: float, what: str) -> None:
        view = memoryview(data)
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([], [self._to_child], [], remaining)[1]:
                raise self._timeout(what)
            try:
                view = view[os.write(self._to_child, view):]
            except BrokenPipeError:
                raise self._died(what) from None

    def _read(self, size: int, deadline: float, what: str) -> bytes:
        chunks, got = [], 0
        while got < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._from_child], [], [], remaining)[0]:
                raise self._timeout(what)
            chunk = os.read(self._from_child, min(size - got, 1 << 20))
            if not chunk:
                raise self._died(what)
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def _expect(self, tag: bytes, deadline: float, what: str) -> None:
        got = self._read(1, deadline, what)
        if got == tag:
            return
        if got == b"E":
            (size,) = struct.unpack("<I", self._read(4, deadline, what))
            message = self._read(min(size, MESSAGE_MAX), deadline, what).decode("utf-8", "replace")
            raise ModelFailed(" ".join(message.split())[:500])
        self.close()
        raise ModelFailed(f"the model's process answered {got!r} during {what}")


@dataclass(frozen=True)
class TrialTimes:
    """Median milliseconds per batched step in the trial run, by batch size, and the load time."""

    load_ms: float
    step_ms: dict[int, float]


def trial_run(data: bytes, signature: OnnxSignature, limits: OnnxLimits | None = None,
              repeats: int = 7) -> TrialTimes:
    """Load the model in a limited process and time batches of 1 and 64 of observations in [-1, 1] (the
    state carried from step to step); `InvalidWeights` if it cannot load, fails, answers NaN or is
    slower than `trial_budget_ms`."""
    limits = limits or OnnxLimits()
    with TRIALS_AT_ONCE:
        return _trial(data, signature, limits, repeats)


def _trial(data: bytes, signature: OnnxSignature, limits: OnnxLimits, repeats: int) -> TrialTimes:
    rng = np.random.default_rng(0)
    start = time.monotonic()
    try:
        process = OnnxProcess(data, signature.state_size, memory_mb=limits.memory_mb,
                              load_seconds=limits.load_seconds, cpu_seconds=limits.trial_cpu_seconds)
    except ModelFailed as error:
        raise refuse(f"the trial run failed: {error}") from None
    load_ms = (time.monotonic() - start) * 1e3
    times: dict[int, float] = {}
    with process:
        for batch in TRIAL_BATCHES:
            obs = np.clip(rng.normal(0.0, 1.0, (batch, OBS_SIZE)), -1.0, 1.0).astype(np.float32)
            state = np.zeros((batch, signature.state_size), np.float32)
            spent = []
            for _ in range(repeats + 1):  # the first step warms up and is not counted
                begin = time.perf_counter()
                try:
                    action, state = process.run(obs, state, limits.step_limit_ms / 1e3)
                except ModelFailed as error:
                    raise refuse(f"the trial run failed for a batch of {batch}: {error}") from None
                spent.append((time.perf_counter() - begin) * 1e3)
                if not np.isfinite(action).all():
                    raise refuse(f"its actions are NaN or infinite for the trial observations (batch of {batch})")
            times[batch] = float(np.median(spent[1:]))
            if times[batch] > limits.trial_budget_ms:
                raise refuse(f"a step with a batch of {batch} takes {times[batch]:.1f} ms in the trial run, more "
                             f"than the budget of {limits.trial_budget_ms:g} ms")
    return TrialTimes(load_ms=load_ms, step_ms=times)
