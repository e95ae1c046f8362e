"""A recorded game as an animated GIF: every frame of the record drawn by `render.draw_positions`.

Needs Pillow (`pip install 'hockey-league[render]'`). Each frame shows the rink as the game draws it,
with a strip below it: who plays which colour, the step and the clock, and at the end the result.
The GIF plays in real time by default (the game runs at 50 steps a second); `every=2` keeps every
other frame for a file about half the size.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from .constants import FPS
from .record import validate_record
from .render import PLAYER_ONE_COLOUR, PLAYER_TWO_COLOUR, draw_positions

STRIP_PX = 28  # height of the caption strip under the rink
INK, PAPER = (33, 37, 41), (246, 246, 244)


def result_text(record: dict[str, Any], names: tuple[str, str]) -> str:
    """'NAME wins (goal)' or 'draw (time limit)' from a record's winner."""
    if record["winner"] == 0:
        return "draw (time limit)"
    return f"{names[0] if record['winner'] == 1 else names[1]} wins (goal)"


def gif_bytes(record: dict[str, Any], names: tuple[str, str] = ("player one", "player two"), *,
              every: int = 1) -> bytes:
    """The game of `record` (a `league.hockey.record` game record) as GIF bytes; `names` label the
    players (player one is drawn orange, player two blue)."""
    try:
        from PIL import Image, ImageDraw
    except ImportError as error:
        raise ImportError("writing a GIF needs Pillow: pip install 'hockey-league[render]'") from error
    validate_record(record)
    if every < 1:
        raise ValueError(f"every must be at least 1, got {every}")
    frames = record["frames"]
    count = len(frames["puck"])
    shown = list(range(0, count, every))
    if shown[-1] != count - 1:
        shown.append(count - 1)  # always end on the final position
    pictures = []
    palette = None
    for k in shown:
        rink = Image.fromarray(draw_positions(frames["player_one"][k], frames["player_two"][k], frames["puck"][k]))
        picture = Image.new("RGB", (rink.width, rink.height + STRIP_PX), PAPER)
        picture.paste(rink, (0, 0))
        draw = ImageDraw.Draw(picture)
        y = rink.height + 8
        draw.rectangle([8, y, 20, y + 12], fill=PLAYER_ONE_COLOUR)
        draw.text((26, y), names[0][:28], fill=INK)
        draw.rectangle([210, y, 222, y + 12], fill=PLAYER_TWO_COLOUR)
        draw.text((228, y), names[1][:28], fill=INK)
        status = result_text(record, names) if k == count - 1 else f"step {k}  {k / FPS:4.1f} s"
        draw.text((rink.width - 8 - 6 * len(status), y), status, fill=INK)
        if palette is None:  # one palette for all frames, from the first (it shows every colour)
            palette = picture.quantize(colors=32, dither=Image.Dither.NONE)
        pictures.append(picture.quantize(palette=palette, dither=Image.Dither.NONE))
    out = io.BytesIO()
    durations = [round(1000 * every / FPS)] * (len(pictures) - 1) + [2000]  # hold the final position
    pictures[0].save(out, format="GIF", save_all=True, append_images=pictures[1:], duration=durations, loop=0,
                     optimize=False, disposal=1)
    return out.getvalue()


def save_gif(record: dict[str, Any], path: str | Path, names: tuple[str, str] = ("player one", "player two"), *,
             every: int = 1) -> Path:
    """Write the game of `record` to `path` as a GIF (see `gif_bytes`); returns the path."""
    path = Path(path)
    path.write_bytes(gif_bytes(record, names, every=every))
    return path
