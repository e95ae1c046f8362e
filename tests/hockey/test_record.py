"""Game records: JSON-serialisable, replayed exactly, and refused with a clear message when wrong."""

from __future__ import annotations

import copy
import json

import pytest

from league.hockey import GAME_VERSION, Mode
from league.hockey.batch import basic_opponent_policy, play_games
from league.hockey.record import validate_record
from league.hockey.replay import record_game, replay


@pytest.fixture(scope="module")
def records():
    results = play_games(basic_opponent_policy(False, seed=3), basic_opponent_policy(True, seed=4), range(6),
                         record=True)
    return [json.loads(json.dumps(result.record)) for result in results], results


def test_record_holds_the_game(records):
    loaded, results = records
    for record, result in zip(loaded, results, strict=True):
        validate_record(record)
        assert record["format"] == "hockey-game-record" and record["version"] == 1
        assert record["game_version"] == GAME_VERSION
        assert (record["seed"], record["one_starting"], record["winner"], record["length"], record["end_reason"]) == (
            result.seed, result.one_starting, result.winner, result.length, result.end_reason)
        assert len(record["actions"]) == record["length"] and len(record["actions"][0]) == 8
        frames = record["frames"]
        assert all(len(frames[name]) == record["length"] + 1 for name in ("player_one", "player_two", "puck", "keep"))
        assert frames["player_one"][0] == [2.0, 4.0, 0.0] and frames["player_two"][0] == [8.0, 4.0, 0.0]
        assert all(-1 <= value <= 1 for action in record["actions"] for value in action)
    assert {r["winner"] for r in loaded} >= {0, 1} or len({r["winner"] for r in loaded}) > 1


def test_replay_reproduces_every_frame(records):
    for record in records[0]:
        replayed = replay(record)
        assert replayed["frames"] == record["frames"] and replayed["actions"] == record["actions"]


def test_record_game_in_a_training_mode_replays():
    record = record_game(basic_opponent_policy(False, seed=1), basic_opponent_policy(False, seed=2), seed=8,
                         mode=Mode.TRAIN_DEFENSE)
    assert record["mode"] == 2 and record["length"] <= 81
    assert replay(json.loads(json.dumps(record)))["winner"] == record["winner"]


def test_a_changed_action_does_not_replay(records):
    record = copy.deepcopy(records[0][0])
    record["actions"][0][0] = -record["actions"][0][0] if record["actions"][0][0] else 0.5
    with pytest.raises(ValueError, match="does not replay|has not ended|game ended after"):
        replay(record)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda r: r.update(game_version="2.6"), "recorded with game version '2.6'"),
        (lambda r: r.update(version=2), "record version 2 is not supported"),
        (lambda r: r.update(format="chess"), "format must be 'hockey-game-record'"),
        (lambda r: r.update(mode=5), "unknown hockey mode 5"),
        (lambda r: r.update(seed="1"), "seed must be int"),
        (lambda r: r.update(winner=3), "winner must be -1, 0 or 1"),
        (lambda r: r.update(end_reason="resigned"), "end_reason must be"),
        (lambda r: r["actions"].pop(), "actions must be a list of"),
        (lambda r: r["actions"][0].__setitem__(2, float("nan")), r"actions\[0\] must be 8 finite numbers"),
        (lambda r: r["frames"].pop("puck"), "frames.puck must be a list"),
        (lambda r: r["frames"]["keep"][3].append(1), r"frames.keep\[3\] must be 2 finite numbers"),
    ],
)
def test_malformed_records_are_refused_with_a_clear_message(records, change, message):
    record = copy.deepcopy(records[0][0])
    change(record)
    with pytest.raises(ValueError, match=message):
        validate_record(record)
    with pytest.raises(ValueError, match=message):
        replay(record)


def test_not_a_record():
    with pytest.raises(ValueError, match="expected a JSON object"):
        validate_record([1, 2])


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda r: r.update(extra_key=float("nan")), "unknown field\\(s\\) extra_key"),
        (lambda r: r.update(padding="x" * 1000), "unknown field\\(s\\) padding"),
        (lambda r: r["frames"].update(ball=[[0, 0]] * (r["length"] + 1)), "frames: unknown field\\(s\\) ball"),
        (lambda r: r.pop("end_reason"), "missing field\\(s\\) end_reason"),
        (lambda r: r.pop("seed"), "missing field\\(s\\) seed"),
        (lambda r: r["actions"][0].__setitem__(0, 10**400), r"actions\[0\] must be 8 finite numbers"),
        (lambda r: r["actions"][0].__setitem__(0, 2e6), r"actions\[0\] must be 8 finite numbers"),
        (lambda r: r["frames"]["puck"][1].__setitem__(0, float("inf")), r"frames.puck\[1\] must be 2 finite numbers"),
        (lambda r: r.update(seed=10**400), "seed must be from 0 to"),
        (lambda r: r.update(seed=-1), "seed must be from 0 to"),
        (lambda r: r.update(mode="normal"), "mode must be int"),
        (lambda r: r.update(length=10**400), "length must be from 1 to 251"),
        (lambda r: r.update(length=252), "length must be from 1 to 251"),
    ],
)
def test_a_record_holds_exactly_its_schema(records, change, message):
    record = copy.deepcopy(records[0][0])
    change(record)
    with pytest.raises(ValueError, match=message):
        validate_record(record)


def test_a_game_at_the_time_limit_is_the_longest_record():
    record = record_game(basic_opponent_policy(False, seed=1), basic_opponent_policy(False, seed=2), seed=8,
                         mode=Mode.TRAIN_SHOOTING)
    too_long = {**record, "length": 82}
    with pytest.raises(ValueError, match="length must be from 1 to 81 \\(the time limit of mode TRAIN_SHOOTING\\)"):
        validate_record(too_long)
    validate_record(record)
