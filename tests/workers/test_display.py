"""The progress display of `league up` and the match worker (`ProgressLog`): counts for people, and a
broken or closed output that never raises."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap

from league.workers.display import ProgressLog, counted, rate_text


def test_counts_have_their_space_and_plural():
    assert counted(1, "game") == "1 game"
    assert counted(8896, "game") == "8,896 games"
    assert rate_text(32, 10.0, "game") == "3.2 games/s"
    assert rate_text(3, 60.0, "game") == "3.0 games/min"
    assert rate_text(5, 0.0, "game") == ""


def test_off_a_terminal_messages_are_lines_and_the_counter_is_silent():
    out = io.StringIO()
    log = ProgressLog("played", "game", stream=out, file=io.StringIO(), terminal=False)
    log.advance(3, "x")
    log.say("hello")
    log.close()
    assert out.getvalue().endswith(" hello\n") and out.getvalue().count("\n") == 1


def test_a_closed_stream_silences_the_log_without_raising():
    out = io.StringIO()
    log = ProgressLog("played", "game", stream=out, file=io.StringIO(), terminal=True)
    out.close()
    log.say("into a closed stream")  # ValueError inside: swallowed
    log.advance(1)
    log.close()
    log.say("still quiet")
    assert log.broken


# A child whose stdout is a pipe whose reader has gone: every say() hits EPIPE.
BROKEN_PIPE_CHILD = textwrap.dedent(
    """
    import sys
    from league.workers.display import ProgressLog
    log = ProgressLog("played", "game", terminal=False)
    for i in range(1000):
        log.say("line %d" % i)
    log.close()
    print("done", file=sys.stderr)
    """
)


def test_a_broken_pipe_silences_the_log_and_exit_is_quiet():
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will read: the first write fails with EPIPE
    child = subprocess.run([sys.executable, "-c", BROKEN_PIPE_CHILD], stdout=write_end, stderr=subprocess.PIPE,
                           text=True, timeout=60)
    os.close(write_end)
    assert child.returncode == 0, child.stderr
    assert child.stderr.strip() == "done", child.stderr  # no BrokenPipeError, no "Exception ignored" at exit
