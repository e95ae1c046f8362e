"""The evaluation suite: scripted styles, wrappers, Wilson intervals, both-sides play, the exploiter
search and the suite's entries and worst case."""

import json
import math
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from agents.config import EXPLOITER_OBJECTIVES
from agents.evaluation.exploiter import EXPLOITER_SEED_BASE, OBJECTIVES, exploitation, search_exploiter
from agents.evaluation.play import play_sides, puck_in_own_half
from agents.evaluation.scripted import (
    RANGES,
    FreshStylesPolicy,
    PassivePolicy,
    RandomPolicy,
    ScriptedPolicy,
    ScriptParams,
    defender,
    holder,
    sample_params,
    shooter,
)
from agents.evaluation.stats import Tally, wilson_interval
from agents.evaluation.suite import base_entries, entry_score, run_entries, selection_entries, worst
from agents.evaluation.wrappers import DelayedObservations, NoisyObservations
from agents.training.evaluation import evaluate
from league.cli import main
from league.hockey.batch import Policy, basic_opponent_policy, play_games
from league.hockey.constants import MAX_TIME_KEEP_PUCK, Mode

SEEDS = list(range(3_000_000_000, 3_000_000_006))


def _obs(n=3, seed=0):
    return np.random.default_rng(seed).uniform(-2, 2, size=(n, 18))


@pytest.mark.parametrize("make", [lambda: ScriptedPolicy(shooter()), lambda: ScriptedPolicy(defender()),
                                  lambda: ScriptedPolicy(sample_params(np.random.default_rng(1))),
                                  PassivePolicy, RandomPolicy])
def test_scripted_policies_follow_the_policy_protocol(make):
    policy = make()
    assert isinstance(policy, Policy)
    policy.reset(3)
    actions = policy.act(_obs(3))
    assert actions.shape == (3, 4) and np.isfinite(actions).all() and np.abs(actions).max() <= 1
    if hasattr(policy, "drop"):
        policy.drop(np.array([1]))
        assert policy.act(_obs(2)).shape == (2, 4)
    results = play_games(policy, basic_opponent_policy(weak=False, seed=0), SEEDS[:2])
    assert len(results) == 2


@pytest.mark.parametrize("params", [shooter(), holder(), sample_params(np.random.default_rng(5))])
def test_a_scripted_style_plays_the_same_games_for_the_same_seed(params):
    def games(seed):
        return [(r.winner, r.length) for r in play_games(ScriptedPolicy(params, seed=seed),
                                                         basic_opponent_policy(weak=False, seed=1), SEEDS)]
    assert games(3) == games(3)
    a, b = RandomPolicy(seed=4), RandomPolicy(seed=4)
    a.reset(2), b.reset(2)
    assert np.array_equal(a.act(_obs(2)), b.act(_obs(2)))


def test_sampled_styles_cover_the_family_and_differ():
    rng = np.random.default_rng(0)
    styles = [sample_params(rng) for _ in range(50)]
    for name, (low, high) in RANGES.items():
        values = [getattr(s, name) for s in styles]
        assert low <= min(values) and max(values) <= high and len(set(values)) > 1, name
    obs = _obs(4)
    actions = []
    for params in styles[:5]:
        policy = ScriptedPolicy(params, seed=0)
        policy.reset(4)
        actions.append(policy.act(obs))
    assert all(not np.allclose(actions[0], other) for other in actions[1:])


def test_the_defender_stays_in_front_of_its_goal():
    xs = []
    play_games(ScriptedPolicy(defender()), basic_opponent_policy(weak=False, seed=0), SEEDS,
               on_step=lambda step: xs.extend(step.next_obs[:, 0].tolist()))
    assert max(xs[len(SEEDS) * 40:]) < -2.5  # after 40 steps of settling, always close to its goal line (-4.25)


def test_the_shooter_shoots_on_contact_and_the_holder_keeps_the_puck():
    obs = np.zeros((1, 18))
    obs[0, 16] = MAX_TIME_KEEP_PUCK  # it has just caught the puck
    for params, shoots in ((shooter(), 1.0), (holder(), 0.0)):
        policy = ScriptedPolicy(params)
        policy.reset(1)
        assert policy.act(obs)[0, 3] == shoots
    obs[0, 16] = 0
    policy = ScriptedPolicy(shooter())
    policy.reset(1)
    assert policy.act(obs)[0, 3] == 0.0  # no puck, no shot


def test_wilson_interval():
    low, high = wilson_interval(5, 10)
    assert math.isclose(low, 0.2366, abs_tol=1e-4) and math.isclose(high, 0.7634, abs_tol=1e-4)
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and math.isclose(high, 0.2775, abs_tol=1e-4)
    assert wilson_interval(10, 10)[1] == 1.0 and wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


def test_a_tally_reports_rates_intervals_and_games_started():
    tally = Tally()
    for outcome, side, started in [(1, 1, True), (0, 2, True), (-1, 2, False), (1, 2, False)]:
        tally.add(outcome, side, started)
    d = tally.to_dict()
    assert (d["games"], d["wins"], d["draws"], d["losses"]) == (4, 2, 1, 1)
    assert d["started"] == 2 and d["started_win_rate"] == 0.5
    assert d["as_two"] == {"wins": 1, "draws": 1, "losses": 1} and d["win_ci"] == list(wilson_interval(2, 4))


def test_the_puck_begins_in_the_half_of_the_starting_player_or_the_drill_says_where():
    assert puck_in_own_half(1, True, Mode.NORMAL) and puck_in_own_half(2, False, Mode.NORMAL)
    assert not puck_in_own_half(2, True, Mode.NORMAL)
    assert puck_in_own_half(1, False, Mode.TRAIN_SHOOTING) and puck_in_own_half(2, True, Mode.TRAIN_DEFENSE)


def test_playing_both_sides_counts_player_twos_losses_from_its_side():
    bad = PassivePolicy()  # a known-bad policy: the shooter scores against it from either side
    tally = play_sides(bad, lambda: ScriptedPolicy(shooter(), seed=0), SEEDS)
    as_one = play_games(bad, ScriptedPolicy(shooter(), seed=0), SEEDS, one_starting=[s % 2 == 0 for s in SEEDS])
    as_two = play_games(ScriptedPolicy(shooter(), seed=0), bad, SEEDS, one_starting=[s % 2 == 0 for s in SEEDS])
    assert tally.by_side[1] == [sum(r.winner == w for r in as_one) for w in (1, 0, -1)]
    assert tally.by_side[2] == [sum(r.winner == w for r in as_two) for w in (-1, 0, 1)]
    assert tally.by_side[2][2] > 0 and tally.losses > tally.wins  # losses as player two count as losses
    # started: the games whose puck began in the passive side's half
    assert tally.started == len(SEEDS)


def test_evaluate_plays_both_sides_mirrored_by_default():
    result = evaluate(PassivePolicy(), 8, weak=False)
    assert result["games"] == 8 and sum(result["as_one"].values()) == 4 and sum(result["as_two"].values()) == 4
    assert result["losses"] > result["wins"] and len(result["loss_ci"]) == 2
    one_side = evaluate(PassivePolicy(), 8, weak=False, sides=(1,))
    assert sum(one_side["as_one"].values()) == 8 and sum(one_side["as_two"].values()) == 0


class _Recorder:
    """Remembers the observations it was given and which rows it was told had finished."""

    def __init__(self):
        self.seen, self.kept = [], []

    def reset(self, n):
        self.n = n

    def keep_rows(self, rows):
        self.kept.append(list(rows))

    def act(self, obs):
        self.seen.append(np.array(obs))
        return np.zeros((len(obs), 4))


def test_latency_acts_on_the_observation_steps_ago_and_passes_finished_rows_on():
    inner = _Recorder()
    delayed = DelayedObservations(inner, 1)
    delayed.reset(2)
    first, second = _obs(2, 1), _obs(2, 2)
    delayed.act(first)
    delayed.act(second)
    assert np.array_equal(inner.seen[0], first) and np.array_equal(inner.seen[1], first)
    delayed.drop(np.array([0]))
    assert inner.kept == [[1]]
    delayed.act(_obs(1, 3))
    assert np.array_equal(inner.seen[2], second[1:])


def test_noise_perturbs_the_view_but_not_the_keep_counters():
    inner = _Recorder()
    noisy = NoisyObservations(inner, 0.2, seed=0)
    noisy.reset(500)
    obs = np.zeros((500, 18))
    obs[:, 16:] = 5
    noisy.act(obs)
    seen = inner.seen[0]
    assert np.allclose(seen[:, 16:], 5) and 0.18 < seen[:, :16].std() < 0.22


def test_the_exploiter_search_finds_a_script_that_beats_a_passive_policy():
    found = search_exploiter(PassivePolicy(), cpu_seconds=60, max_candidates=5, games_per_side=4)
    # only the games it starts can be won against a passive policy (half of them): the search beats
    # the named styles it begins with (the defender never scores, the shooter wins 2 of 8)
    assert found.candidates == 5 and found.params is not None
    assert found.win_rate >= 0.375 and found.loss_rate == 0.0 and found.history[1] < found.win_rate
    assert found.history == sorted(found.history)  # the best so far never gets worse


def test_fresh_styles_play_a_style_of_their_own_in_every_game_and_drop_the_finished_ones():
    fresh = FreshStylesPolicy(np.random.default_rng(5))
    fresh.reset(4)
    replay = np.random.default_rng(5)  # the same draws, one policy per game
    alone = [ScriptedPolicy(sample_params(replay), seed=int(replay.integers(2**31))) for _ in range(4)]
    for policy in alone:
        policy.reset(1)
    assert fresh.styles == [policy.params for policy in alone] and len(set(fresh.styles)) == 4
    obs = np.random.default_rng(0).normal(size=(4, 18))
    obs[:, 16:] = 0
    for _ in range(3):
        assert np.array_equal(fresh.act(obs), np.concatenate([p.act(obs[i:i + 1]) for i, p in enumerate(alone)]))
    fresh.drop(np.array([0, 2]))  # rows apart
    kept = [alone[1], alone[3]]
    assert fresh.styles == [policy.params for policy in kept]
    assert np.array_equal(fresh.act(obs[:2]), np.concatenate([p.act(obs[i:i + 1]) for i, p in enumerate(kept)]))
    with pytest.raises(ValueError, match="4 observations for 2 games"):
        fresh.act(obs)
    # in the game's own driver, where games end at different steps and drop out of their rows: each
    # game is the game its style plays alone
    seeds = list(range(6))
    together = play_games(FreshStylesPolicy(np.random.default_rng(1)), basic_opponent_policy(weak=True), seeds,
                          record=True)
    replay = np.random.default_rng(1)
    styles = [(sample_params(replay), int(replay.integers(2**31))) for _ in seeds]
    assert len({r.length for r in together}) > 1  # the games did end at different steps
    for seed, (params, style_seed), game in zip(seeds, styles, together, strict=True):
        [single] = play_games(ScriptedPolicy(params, seed=style_seed), basic_opponent_policy(weak=True), [seed],
                              one_starting=game.one_starting, record=True)
        assert (single.winner, single.length, single.record["frames"]) == (game.winner, game.length,
                                                                           game.record["frames"])


def test_the_started_objective_is_one_minus_the_suites_started_score():
    assert tuple(OBJECTIVES) == EXPLOITER_OBJECTIVES  # the config accepts exactly the search's objectives
    for outcomes in ([(1, True), (0, True), (-1, False), (0, False)], [(1, True)] * 3 + [(-1, False)] * 5,
                     [(0, False)] * 4, [(1, True), (1, False), (-1, True)]):
        tally = Tally()
        for outcome, started in outcomes:
            tally.add(outcome, 1, started)
        assert exploitation(tally, "started") == pytest.approx(1 - entry_score("started", tally.to_dict()))
        assert exploitation(tally, "win") == tally.losses / tally.games  # the target's losses: the style's wins
    with pytest.raises(ValueError, match="unknown exploiter objective"):
        exploitation(tally, "draws")
    with pytest.raises(ValueError, match="unknown exploiter objective"):
        search_exploiter(PassivePolicy(), cpu_seconds=1, max_candidates=1, objective="draws")


@pytest.mark.parametrize("objective", sorted(OBJECTIVES))
def test_the_search_keeps_the_candidate_that_exploits_most_by_its_objective(objective):
    target = basic_opponent_policy(weak=False)  # deterministic: every candidate can be replayed
    found = search_exploiter(target, cpu_seconds=60, max_candidates=6, games_per_side=4, seed=0,
                             named_first=False, objective=objective)
    rng, seeds = np.random.default_rng(0), list(range(EXPLOITER_SEED_BASE, EXPLOITER_SEED_BASE + 4))
    replayed = []
    for _ in range(6):
        params = sample_params(rng)
        replayed.append((OBJECTIVES[objective](play_sides(target, partial(ScriptedPolicy, params, seed=seeds[0]), seeds)),
                         params))
    best = max(range(6), key=lambda i: (replayed[i][0], -i))  # the first of equals
    assert found.params == replayed[best][1] and found.exploitation == replayed[best][0][0]
    assert found.objective == objective and found.to_dict()["exploitation"] == found.exploitation
    assert len({key for key, _ in replayed}) > 1  # the candidates differ: the choice means something


def test_against_a_target_that_never_scores_every_style_is_a_wall_and_the_one_that_wins_most_is_kept():
    found = search_exploiter(PassivePolicy(), cpu_seconds=60, max_candidates=3, games_per_side=2, objective="started")
    by_wins = search_exploiter(PassivePolicy(), cpu_seconds=60, max_candidates=3, games_per_side=2)
    assert found.history == [1.0, 1.0, 1.0] and found.params == by_wins.params and found.win_rate == by_wins.win_rate


def test_selection_entries_by_name_and_unknown_names():
    names = [e.name for e in selection_entries("weak, strong,style-11,strong-latency-1")]
    assert names == ["weak", "strong", "style-11", "strong-latency-1"]
    with pytest.raises(ValueError, match="unknown suite entry nobody"):
        selection_entries("weak,nobody")
    with pytest.raises(ValueError):
        selection_entries(" , ")
    all_names = [e.name for e in base_entries(2)]
    assert {"passive", "random", "shooting-drill-defender", "defense-drill-defender", "strong-noise",
            "strong-latency-2", "style-1"} <= set(all_names) and len(all_names) == len(set(all_names))


def test_the_worst_case_is_the_lowest_score_and_defending_drills_score_by_losses():
    results = run_entries(PassivePolicy(), selection_entries("weak,defense-drill-defender"), 4)
    drill = results["defense-drill-defender"]
    assert drill["score"] == 1 - drill["loss_rate"] and drill["mode"] == "train_defense"
    assert sum(drill["as_one"].values()) == 4 and sum(drill["as_two"].values()) == 0  # one side only
    # against a passive policy only the games one starts can be won: those count, and losses
    passive_like = {"win_rate": 0.5, "loss_rate": 0.0, "started_win_rate": 1.0}
    assert entry_score("started", passive_like) == 1.0 and entry_score("win", passive_like) == 0.5
    assert entry_score("started", {**passive_like, "loss_rate": 0.25}) == 0.75
    assert entry_score("hold", {**passive_like, "loss_rate": 0.25}) == 0.75 and entry_score("mirror", {}) is None
    fake = {"a": {"score": 0.9, "mode": "normal", "measure": "win", "started_win_rate": 0.5},
            "b": {"score": 0.4, "mode": "normal", "measure": "win", "started_win_rate": 0.8},
            "mirror": {"score": None, "mode": "normal", "measure": "mirror", "started_win_rate": 0.0,
                       "draw_rate": 0.7}}
    summary = worst(fake)
    assert summary == {"score": 0.4, "entry": "b", "started_win_rate": 0.5, "started_entry": "a",
                       "mirror_draw_rate": 0.7}


def test_script_params_round_trip():
    params = sample_params(np.random.default_rng(2))
    assert ScriptParams(**params.to_dict()) == params


CHECKPOINT = Path(__file__).resolve().parents[2] / "checkpoints" / "dreamer.safetensors"


@pytest.mark.slow
def test_league_eval_plays_the_suite_and_both_sides(tmp_path, capsys):
    out = tmp_path / "suite.json"
    assert main(["eval", str(CHECKPOINT), "--suite", "--games", "2", "--styles", "1", "--exploiter-seconds", "0",
                 "--snapshots", str(CHECKPOINT), "--output", str(out)]) == 0
    text = capsys.readouterr().out
    assert "worst case: score" in text and "mirror draws" in text and "[" in text
    result = json.loads(out.read_text())
    entries = result["entries"]
    assert {"weak", "strong", "passive", "random", "shooting-drill-shooter", "defense-drill-defender", "defender",
            "style-0", "strong-noise", "strong-latency-2", "snapshot:dreamer", "mirror"} <= set(entries)
    assert "exploiter" not in entries and result["exploiter_search"] is None
    assert result["seed_base"] == 3_000_000_000 and entries["weak"]["games"] == 2
    assert result["worst"]["score"] == min(e["score"] for e in entries.values() if e["score"] is not None)
    # the same checkpoint on the same seeds against its own result: every entry the same, not better
    assert main(["eval", str(CHECKPOINT), "--suite", "--games", "2", "--styles", "1", "--exploiter-seconds", "0",
                 "--baseline", str(out), "--json"]) == 0
    comparison = json.loads(capsys.readouterr().out)["comparison"]
    assert comparison["better"] is False and {row["verdict"] for row in comparison["entries"]} == {"same"}
    assert len(comparison["entries"]) == sum(e["score"] is not None for e in entries.values()) - 1
    assert comparison["only_baseline"] == ["snapshot:dreamer"]  # played without --snapshots this time
    assert main(["eval", str(CHECKPOINT), "--baseline", str(out)]) == 1  # a suite comparison needs --suite
    assert "needs --suite" in capsys.readouterr().err
    (tmp_path / "list.json").write_text("[]")
    assert main(["eval", str(CHECKPOINT), "--suite", "--baseline", str(tmp_path / "list.json")]) == 1
    assert "not a suite result" in capsys.readouterr().err  # refused before any game is played

    assert main(["eval", str(CHECKPOINT), "--games", "4", "--opponent", "strong", "--side", "two", "--json"]) == 0
    strong = json.loads(capsys.readouterr().out)["strong"]
    assert sum(strong["as_two"].values()) == 4 and sum(strong["as_one"].values()) == 0
    assert main(["eval", str(CHECKPOINT), "--games", "4", "--opponent", "weak", "--json"]) == 0
    weak = json.loads(capsys.readouterr().out)["weak"]
    assert sum(weak["as_one"].values()) == 2 and sum(weak["as_two"].values()) == 2  # mirrored by default


def test_the_selection_family_styles_are_drawn_apart_from_the_suites():
    from agents.evaluation.suite import selection_entries

    entries = selection_entries("family-0,family-3,style-3,weak")
    assert [e.name for e in entries] == ["family-0", "family-3", "style-3", "weak"]
    family = {e.name: e.style for e in entries if e.style is not None}
    assert family["family-3"] != family["style-3"]
    assert selection_entries("family-3")[0].style == family["family-3"]  # a fixed draw
    with pytest.raises(ValueError, match="family-N"):
        selection_entries("family-x")
