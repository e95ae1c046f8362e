"""The remote-agent protocol, shared by the agent gateway and the client (docs/remote-protocol.md).

One WebSocket per agent (permessage-deflate off). Text messages are JSON objects with a `type`:
the client's `hello` (protocol version, token, agent, version), then the gateway's `welcome` (the
limits) or `error` (and a close); then `game_start` / `game_end` per game. Binary messages are the
steps: the gateway sends an observation frame for all the agent's running games at once, the client
answers an action frame with the same step id. A frame that does not decode raises `ProtocolError`.

Frame layout (little-endian): a 16-byte header `version u8, kind u8, reserved u16, step u64, n u32`,
then for observations `n` game ids (u32) and `n x 18` float32, for actions `n x 4` float32.
This module imports only numpy: the client side needs nothing of the league's server.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np

PROTOCOL_VERSION = 1
FRAME_VERSION = 1
OBSERVATIONS, ACTIONS = 1, 2
OBS_DIM, ACTION_DIM = 18, 4
HEADER = struct.Struct("<BBHQI")
CLOSE_PROTOCOL = 4000  # the close code after a malformed or unexpected message
CLOSE_REPLACED = 4009  # the close code of a connection a newer one for the same snapshot replaced
MAX_TEXT_BYTES = 64 * 1024  # a text message (hello, game start/end, error) is small


class ProtocolError(ValueError):
    """A message that does not follow the protocol; the connection that sent it is closed."""


def observation_frame_bytes(n: int) -> int:
    """Size of an observation frame for `n` games."""
    return HEADER.size + n * 4 + n * OBS_DIM * 4


def encode_observations(step: int, game_ids: np.ndarray | list[int], obs: np.ndarray) -> bytes:
    ids = np.asarray(game_ids, dtype="<u4")
    rows = np.ascontiguousarray(obs, dtype="<f4")
    if rows.shape != (len(ids), OBS_DIM):
        raise ValueError(f"observations of shape {rows.shape} for {len(ids)} games")
    return HEADER.pack(FRAME_VERSION, OBSERVATIONS, 0, step, len(ids)) + ids.tobytes() + rows.tobytes()


def encode_actions(step: int, actions: np.ndarray) -> bytes:
    rows = np.ascontiguousarray(actions, dtype="<f4")
    if rows.ndim != 2 or rows.shape[1] != ACTION_DIM:
        raise ValueError(f"actions must be (n, {ACTION_DIM}), got shape {rows.shape}")
    return HEADER.pack(FRAME_VERSION, ACTIONS, 0, step, len(rows)) + rows.tobytes()


def _header(data: bytes, kind: int) -> tuple[int, int]:
    if not isinstance(data, bytes | bytearray | memoryview) or len(data) < HEADER.size:
        raise ProtocolError(f"a step frame starts with a {HEADER.size}-byte header")
    version, got_kind, _, step, n = HEADER.unpack_from(data)
    if version != FRAME_VERSION:
        raise ProtocolError(f"frame version {version}, this side speaks {FRAME_VERSION}")
    if got_kind != kind:
        raise ProtocolError(f"frame kind {got_kind}, expected {kind}")
    return step, n


def decode_observations(data: bytes) -> tuple[int, np.ndarray, np.ndarray]:
    """(step, game ids (n,), observations (n, 18) float32) of an observation frame."""
    step, n = _header(data, OBSERVATIONS)
    if len(data) != observation_frame_bytes(n):
        raise ProtocolError(f"an observation frame for {n} games is {observation_frame_bytes(n)} bytes, "
                            f"not {len(data)}")
    ids = np.frombuffer(data, dtype="<u4", count=n, offset=HEADER.size)
    obs = np.frombuffer(data, dtype="<f4", offset=HEADER.size + 4 * n).reshape(n, OBS_DIM)
    return step, ids, obs


def decode_actions(data: bytes, expected: int | None = None) -> tuple[int, np.ndarray]:
    """(step, actions (n, 4) float32) of an action frame; `ProtocolError` if malformed, if `expected`
    rows were due and another number came, or if any action is NaN or infinite."""
    step, n = _header(data, ACTIONS)
    if len(data) != HEADER.size + n * ACTION_DIM * 4:
        raise ProtocolError(f"an action frame for {n} games is {HEADER.size + n * ACTION_DIM * 4} bytes, "
                            f"not {len(data)}")
    if expected is not None and n != expected:
        raise ProtocolError(f"step {step}: {n} actions for {expected} games")
    actions = np.frombuffer(data, dtype="<f4", offset=HEADER.size).reshape(n, ACTION_DIM)
    if not np.isfinite(actions).all():
        raise ProtocolError(f"step {step}: NaN or infinite actions")
    return step, actions


def text(message_type: str, **fields: Any) -> str:
    """A text message: a JSON object with `type`."""
    return json.dumps({"type": message_type, **fields}, separators=(",", ":"))


def parse_text(data: str | bytes, *types: str) -> dict[str, Any]:
    """The JSON object of a text message whose `type` is one of `types` (any when none given)."""
    if not isinstance(data, str):
        raise ProtocolError("expected a text message, got a binary one")
    if len(data) > MAX_TEXT_BYTES:
        raise ProtocolError(f"a text message is at most {MAX_TEXT_BYTES} bytes")
    try:
        message = json.loads(data)
    except ValueError:
        raise ProtocolError("a text message is a JSON object") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise ProtocolError("a text message is a JSON object with a string `type`")
    if types and message["type"] not in types:
        raise ProtocolError(f"expected a {' or '.join(types)} message, got {message['type']!r}")
    return message
