"""A recorded game as an animated GIF: one frame per recorded frame (or every Nth, always ending on
the final position), the result on the last one, and records that are not games refused."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from league.hockey.animation import gif_bytes, result_text
from league.hockey.batch import basic_opponent_policy
from league.hockey.replay import record_game


@pytest.fixture(scope="module")
def record():
    return record_game(basic_opponent_policy(False, seed=1), basic_opponent_policy(True, seed=2), 5)


def test_every_nth_frame_ends_on_the_final_position(record):
    frames = record["length"] + 1
    full = Image.open(io.BytesIO(gif_bytes(record)))
    assert full.n_frames == frames and full.size == (600, 480 + 28)
    half = Image.open(io.BytesIO(gif_bytes(record, every=2)))
    assert half.n_frames == len(range(0, frames, 2)) + (0 if (frames - 1) % 2 == 0 else 1)
    full.seek(frames - 1)
    half.seek(half.n_frames - 1)
    assert full.convert("RGB").tobytes() == half.convert("RGB").tobytes()
    assert half.info["duration"] == 2000  # the final position is held


def test_the_result_names_the_winner(record):
    names = ("strong one", "weak two")
    expected = {1: "strong one wins (goal)", -1: "weak two wins (goal)", 0: "draw (time limit)"}[record["winner"]]
    assert result_text(record, names) == expected


def test_a_record_that_is_not_a_game_is_refused(record):
    with pytest.raises(ValueError, match="invalid game record"):
        gif_bytes({**record, "length": record["length"] + 1})
    with pytest.raises(ValueError, match="every must be at least 1"):
        gif_bytes(record, every=0)
