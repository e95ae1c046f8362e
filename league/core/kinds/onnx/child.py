"""The process that runs an uploaded ONNX model: started by `sandbox`, never imported.

It runs as `python -I child.py MEMORY_BYTES CPU_SECONDS` in an empty working directory and
imports nothing of the league (only numpy and onnxruntime), so an isolated interpreter needs
nothing but those. Before it reads the model it limits its own address space (RLIMIT_AS), CPU time
(RLIMIT_CPU, when given) and file writes (RLIMIT_FSIZE 0), and moves its standard output out of
the way so that nothing a library prints can corrupt the answers.

The protocol, little-endian, over standard input and the saved standard output:
- parent: u64 n, the n bytes of the model, u32 H (the state width, 0 for none);
- child: b"R" when the model is loaded, or b"E" u32 n and n bytes of UTF-8 saying why not (then it exits);
- then, per step, parent: u32 rows, rows*18 float32 observations, rows*H float32 states;
  child: b"A", rows*4 float32 actions, rows*H float32 states; or b"E" u32 n and the message.
onnxruntime loads the model from bytes with one thread, no graph optimisation (nothing is
folded or fused at load time), no spinning and no memory arena.
"""

import os
import resource
import struct
import sys

import numpy as np
import onnxruntime as ort

OBS_SIZE = 18
ACTION_SIZE = 4


def _limit(memory_bytes: int, cpu_seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if cpu_seconds > 0:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))


def _read(stream, size: int) -> bytes:
    data = stream.read(size)
    if data is None or len(data) != size:
        raise EOFError
    return data


def _error(channel, message: str) -> None:
    text = message.encode("utf-8", "replace")[:2000]
    channel.write(b"E" + struct.pack("<I", len(text)) + text)
    channel.flush()


def _session(model: bytes) -> ort.InferenceSession:
    ort.set_default_logger_severity(3)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.enable_cpu_mem_arena = False
    options.enable_mem_pattern = False
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    options.add_session_config_entry("session.load_model_format", "ONNX")
    return ort.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])


def _serve(requests, channel, session, state_size: int) -> None:
    outputs = ["action", "state_out"] if state_size else ["action"]
    while True:
        try:
            (rows,) = struct.unpack("<I", _read(requests, 4))
        except EOFError:
            return
        obs = np.frombuffer(_read(requests, rows * OBS_SIZE * 4), dtype="<f4").reshape(rows, OBS_SIZE)
        feeds = {"obs": obs}
        if state_size:
            feeds["state"] = np.frombuffer(_read(requests, rows * state_size * 4), dtype="<f4").reshape(
                rows, state_size)
        try:
            answers = session.run(outputs, feeds)
        except Exception as error:  # noqa: BLE001 (the model's failure is reported, the process goes on)
            _error(channel, f"onnxruntime failed: {error}")
            continue
        expected = [(rows, ACTION_SIZE), (rows, state_size)][: len(outputs)]
        wrong = [(name, np.asarray(value), shape) for name, value, shape in zip(outputs, answers, expected, strict=True)
                 if np.shape(value) != shape or np.asarray(value).dtype != np.float32]
        if wrong:
            name, value, shape = wrong[0]
            _error(channel, f"{name} is {value.dtype} {list(value.shape)}, expected float32 {list(shape)}")
            continue
        channel.write(b"A" + b"".join(np.ascontiguousarray(value, dtype="<f4").tobytes() for value in answers))
        channel.flush()


def main() -> int:
    _limit(int(sys.argv[1]), int(sys.argv[2]))
    channel = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever a library prints goes to standard error, not into the answers
    requests = os.fdopen(os.dup(0), "rb")
    try:
        (size,) = struct.unpack("<Q", _read(requests, 8))
        model = _read(requests, size)
        (state_size,) = struct.unpack("<I", _read(requests, 4))
    except EOFError:
        return 1
    try:
        session = _session(model)
    except MemoryError:
        _error(channel, "loading the model ran out of memory")
        return 1
    except Exception as error:  # noqa: BLE001 (any load failure is reported as it is)
        _error(channel, f"onnxruntime cannot load the model: {error}")
        return 1
    del model
    channel.write(b"R")
    channel.flush()
    _serve(requests, channel, session, state_size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
