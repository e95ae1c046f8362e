"""The live status of `league up` on a terminal: one counter line of rated games, its rate since
this start, and nothing left below the last message."""

from __future__ import annotations

import io

from league.cli.up import StatusDisplay


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _terminal_display(clock: Clock) -> tuple[StatusDisplay, io.StringIO]:
    screen = io.StringIO()
    return StatusDisplay(stream=screen, file=screen, terminal=True, clock=clock), screen


def _last_line(screen: io.StringIO) -> str:
    """What a terminal shows last: the text after the last carriage return or newline."""
    text = screen.getvalue().replace("\x1b[A", "")
    return text.replace("\r", "\n").rstrip(" \n").rsplit("\n", 1)[-1].strip()


def test_after_a_restart_the_rate_counts_only_the_games_since_this_start():
    clock = Clock()
    display, screen = _terminal_display(clock)
    display.update(8896, "... games rated; top: a 1.0")  # the league had played these before this start
    clock.now += 10
    display.update(8906, "... games rated; top: a 1.5")
    line = _last_line(screen)
    assert line.startswith("league: 8,906 games, 1.0 games/s"), line  # 10 games in 10 s, not 8906
    assert "top: a 1.5" not in line and line.endswith("a 1.5")
    display.close()


def test_no_counter_line_is_left_below_the_last_message():
    clock = Clock()
    display, screen = _terminal_display(clock)
    display.update(5, "x; top: a 1.0")
    display.say("stopping")
    display.close()
    display.say("stopped; no process left")
    assert screen.getvalue().endswith("stopped; no process left\n")
    assert _last_line(screen).endswith("stopped; no process left")
