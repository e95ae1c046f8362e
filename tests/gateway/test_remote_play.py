"""Remote agents over real sockets: a real `league serve`, a real `league gateway`, real clients.

One league for the module (short deadlines: step 0.5 s, bank 2 s per match, 2 games per match);
each test plays under its own user and agent, so that the others' games do not disturb it.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time

import httpx
import pytest
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

from league.remote import protocol
from league.remote.client import Refused
from league.remote.examples import BasicAgent, StallingAgent
from tests.support.remote_league import ClientThread, remote_league, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def league(tmp_path_factory):
    with remote_league(tmp_path_factory.mktemp("remote-league")) as running:
        yield running


def _row(league, name: str) -> dict | None:
    rows = httpx.get(f"{league.server.url}/api/leaderboard").json()
    return next((row for row in rows if row["name"] == name), None)


def _played(league, name: str, games: int):
    return lambda: (row := _row(league, name)) is not None and row["games"] >= games and row


def _online(league, name: str) -> bool:
    agents = httpx.get(f"{league.server.url}/api/remote/agents").json()
    return any(a["snapshot"]["name"] == name and a["online"] for a in agents)


def _client(league, user: str, agent: str, policy, version: str = "v1", **options) -> ClientThread:
    client = ClientThread(league.gateway_url, league.user_token(user), agent, version, policy, **options)
    client.start()
    return client


class SlowFromStep(BasicAgent):
    """Answers normally until step `after`, then every step takes `seconds`."""

    def __init__(self, after: int, seconds: float):
        super().__init__()
        self.after, self.seconds, self.steps = after, seconds, 0

    def act_games(self, game_ids, obs):
        self.steps += 1
        if self.steps > self.after:
            time.sleep(self.seconds)
        return super().act_games(game_ids, obs)


def test_a_remote_agent_plays_rated_games_and_appears_on_the_leaderboard(league):
    started = time.monotonic()
    client = _client(league, "alice", "alice-bot", BasicAgent())
    try:
        wait_for(lambda: _online(league, "alice-bot@v1"), 10, what="the agent online")
        first = wait_for(lambda: httpx.get(f"{league.server.url}/api/matches",
                                           params={"state": "done"}).json()["items"] and
                         any("alice-bot@v1" in (m["snapshot_a_name"], m["snapshot_b_name"])
                             for m in httpx.get(f"{league.server.url}/api/matches").json()["items"]),
                         15, what="a first match")
        assert first and time.monotonic() - started < 12
        row = wait_for(_played(league, "alice-bot@v1", 6), 40, what="six rated games")
        assert row["kind"] == "remote" and row["owner"] == "alice" and row["forfeits"] == 0
        assert row["wins"] + row["draws"] + row["losses"] == row["games"]
        assert client.stats.games >= 6 and client.stats.connections == 1
        board = httpx.get(f"{league.server.url}/").text
        assert "alice-bot@v1" in board and "remote" in board
    finally:
        client.stop()
    assert client.error is None
    wait_for(lambda: not _online(league, "alice-bot@v1"), 10, what="the agent offline after it left")


def test_stalling_past_the_deadline_loses_rated_games_and_others_play_on(league):
    steady = _client(league, "bob", "bob-bot", BasicAgent())
    stalling = _client(league, "carol", "carol-bot", StallingAgent(0.8))
    try:
        row = wait_for(lambda: (r := _row(league, "carol-bot@v1")) and r["forfeits"] >= 2 and r, 30,
                       what="the staller's forfeits")
        assert row["losses"] >= row["forfeits"] and row["games"] >= 2
        assert any("step deadline" in line for line in stalling.lines)
        before = _row(league, "bob-bot@v1")["games"]
        wait_for(_played(league, "bob-bot@v1", before + 4), 30, what="the steady agent playing on")
        assert _row(league, "bob-bot@v1")["forfeits"] == 0
    finally:
        stalling.stop()
        steady.stop()


def test_running_out_of_the_time_bank_loses_the_match(league):
    # 0.3 s a step is within the 0.5 s deadline, but the 2 s bank of a match is spent after 7 steps
    client = _client(league, "dave", "dave-bot", SlowFromStep(after=0, seconds=0.3))
    try:
        row = wait_for(lambda: (r := _row(league, "dave-bot@v1")) and r["forfeits"] >= 2 and r, 40,
                       what="forfeits by time bank")
        assert row["losses"] >= 2
        assert any("time bank" in line for line in client.lines)
    finally:
        client.stop()


def test_a_client_killed_mid_match_loses_its_unfinished_games_and_reconnecting_resumes(league, tmp_path):
    token = league.user_token("erin")
    (tmp_path / "slowish.py").write_text(
        "import time\nfrom league.remote.examples import BasicAgent\n"
        "class Slow(BasicAgent):\n"
        "    def act_games(self, ids, obs):\n        time.sleep(0.02)\n        return super().act_games(ids, obs)\n"
        "def make():\n    return Slow()\n")
    env = {**os.environ, "LEAGUE_TOKEN": token, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.getcwd()}"}
    process = subprocess.Popen([sys.executable, "-m", "league", "connect", "--server", league.server.url,
                                "--agent", "erin-bot", "--version", "v1", "--policy", "slowish:make"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: _online(league, "erin-bot@v1"), 20, what="the connect command online")
        time.sleep(1.0)  # games under way (20 ms a step: a game takes seconds)
        process.kill()
        process.wait(10)
        row = wait_for(lambda: (r := _row(league, "erin-bot@v1")) and r["forfeits"] >= 1 and r, 20,
                       what="forfeits after the kill")
        assert row["losses"] >= row["forfeits"]
    finally:
        if process.poll() is None:
            process.kill()
    output = process.stdout.read()
    assert "connected to ws://" in output and "playing erin-bot@v1" in output
    games = _row(league, "erin-bot@v1")["games"]
    again = _client(league, "erin", "erin-bot", BasicAgent())
    try:
        wait_for(_played(league, "erin-bot@v1", games + 4), 30, what="play resumed after reconnecting")
    finally:
        again.stop()


def test_a_new_connection_replaces_the_old_one(league):
    first = _client(league, "frank", "frank-bot", BasicAgent())
    try:
        wait_for(lambda: _online(league, "frank-bot@v1"), 10, what="the first connection")
        second = _client(league, "frank", "frank-bot", BasicAgent())
        try:
            first.join(15)
            assert isinstance(first.error, Refused) and first.error.code == "replaced"
            games = _row(league, "frank-bot@v1")["games"]
            wait_for(_played(league, "frank-bot@v1", games + 2), 30, what="the new connection playing")
        finally:
            second.stop()
    finally:
        first.stop()


async def _raw(url: str, hello: dict | None, then: bytes | str | None = None, wait: float = 5.0):
    """Open a raw connection, say `hello`, send `then`; the messages received and the close code."""
    received, code = [], None
    async with ws_connect(url, compression=None, max_size=None) as ws:
        if hello is not None:
            await ws.send(protocol.text("hello", **hello))
        try:
            async with asyncio.timeout(wait):
                if then is not None:
                    first = await ws.recv()
                    received.append(first)
                    await ws.send(then)
                async for message in ws:
                    received.append(message)
        except ConnectionClosed:
            pass
        except TimeoutError:
            pass
        code = ws.close_code
    return [json.loads(m) if isinstance(m, str) else m for m in received], code


def _hello(league, user: str, agent: str, **extra) -> dict:
    return {"protocol": protocol.PROTOCOL_VERSION, "token": league.user_token(user), "agent": agent,
            "version": "v1", **extra}


def test_malformed_and_oversized_frames_close_only_that_connection(league):
    steady = _client(league, "gina", "gina-bot", BasicAgent())
    try:
        wait_for(lambda: _online(league, "gina-bot@v1"), 10, what="the steady agent")
        messages, code = asyncio.run(_raw(league.gateway_url, _hello(league, "hank", "hank-bot"), b"\x01\x02junk"))
        assert messages[0]["type"] == "welcome" and code == 4000
        assert any(isinstance(m, dict) and m.get("code") == "protocol" for m in messages)
        messages, code = asyncio.run(_raw(league.gateway_url, _hello(league, "hank", "hank-bot"), b"\0" * 100_000))
        assert code == 1009  # larger than LEAGUE_GATEWAY_MAX_FRAME_BYTES
        games = _row(league, "gina-bot@v1")["games"]
        wait_for(_played(league, "gina-bot@v1", games + 2), 30, what="the steady agent playing on")
        assert steady.stats.connections == 1 and steady.error is None
    finally:
        steady.stop()


def test_wrong_tokens_other_users_agents_and_silent_clients_are_refused(league):
    league.user_token("ivan")
    messages, code = asyncio.run(_raw(league.gateway_url, {**_hello(league, "ivan", "ivan-bot"),
                                                           "token": "lg_not-a-token"}))
    assert messages[0]["type"] == "error" and messages[0]["code"] == "unauthorized" and code == 4001
    asyncio.run(_raw(league.gateway_url, _hello(league, "ivan", "ivan-bot"), wait=0.5))  # ivan owns ivan-bot now
    messages, code = asyncio.run(_raw(league.gateway_url, _hello(league, "judy", "ivan-bot")))
    assert messages[0]["code"] == "forbidden" and "belongs to 'ivan'" in messages[0]["message"] and code == 4003
    messages, code = asyncio.run(_raw(league.gateway_url, None, wait=3))
    assert messages[0]["code"] == "protocol" and "no hello" in messages[0]["message"]
    messages, _ = asyncio.run(_raw(league.gateway_url, {**_hello(league, "ivan", "ivan-bot"), "protocol": 99}))
    assert messages[0]["code"] == "protocol"
    with pytest.raises(Refused, match="unauthorized"):
        asyncio.run(asyncio.wait_for(__import__("league.remote.client", fromlist=["play"]).play(
            league.gateway_url, token="lg_wrong", agent="x", version="v1", policy=BasicAgent(),
            log=lambda line: None), 10))
