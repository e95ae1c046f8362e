"""Training end to end (debug preset): train, checkpoint, resume, resume from a checkpoint alone,
evaluate; the self-play pool; the commands' errors."""

import json

import numpy as np
import pytest
import torch

from agents.evaluation.scripted import FreshStylesPolicy, PassivePolicy, RandomPolicy, ScriptedPolicy
from agents.opponents.self_play import SelfPlayManager
from league.cli import main

torch.set_num_threads(1)


def _train(*argv):
    return main(["train", "--preset", "debug", "--threads", "1", "--no-tensorboard", *argv])


def _counters(run):
    return json.loads((run / "state" / "trainer.json").read_text())["counters"]


@pytest.mark.slow
def test_train_resume_and_evaluate_end_to_end(tmp_path, capsys):
    run = tmp_path / "run"
    fast = ["--set", "train_ratio=4", "--set", "eval_every=1500", "--set", "checkpoint_every=600"]
    assert _train("--run-dir", str(run), "--steps", "1200", *fast) == 0
    first = _counters(run)
    assert first["env_steps"] >= 1200 and first["grad_steps"] > 0
    checkpoints = sorted((run / "checkpoints").glob("step_*.safetensors"))
    assert checkpoints and checkpoints[-1].with_suffix(".json").is_file()
    assert (run / "state" / "buffer.npz").is_file()
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert any("model_loss" in line for line in lines)

    # continue the run: counters, buffer and optimisers carry on
    assert main(["train", "--resume", str(run), "--steps", "2200", "--threads", "1", "--no-tensorboard"]) == 0
    second = _counters(run)
    assert second["env_steps"] >= 2200 and second["grad_steps"] > first["grad_steps"]
    assert second["games"] > first["games"]
    saved = json.loads((run / "state" / "trainer.json").read_text())
    assert saved["evaluations"] and saved["evaluations"][-1]["weak"]["games"] == 4
    # each evaluation plays the selection suite from both sides and is scored by its worst entry
    entries = saved["config"]["selection_suite"].split(",")
    for e in saved["evaluations"]:
        assert set(entries) <= set(e) and e["weak"]["as_two"]["wins"] + e["weak"]["as_two"]["draws"] \
            + e["weak"]["as_two"]["losses"] == 2
        assert e["score"] == min(e[name]["score"] for name in entries) and e[e["worst_entry"]]["score"] == e["score"]
    # the best evaluated checkpoint so far is kept as checkpoints/best.*, whatever pruning removes
    scores = {e["env_steps"]: e["score"] for e in saved["evaluations"]}
    best_step = max(scores, key=lambda step: (scores[step], -step))  # the first of equal scores stays
    assert saved["best"]["env_steps"] == best_step and saved["best"]["score"] == scores[best_step]
    best_meta = json.loads((run / "checkpoints" / "best.json").read_text())
    assert best_meta["env_steps"] == best_step and (run / "checkpoints" / "best.safetensors").is_file()
    assert (run / saved["best"]["checkpoint"]).is_file()

    # the machine is gone, the buffer with it: start again from the last checkpoint alone
    latest = sorted((run / "checkpoints").glob("step_*.safetensors"))[-1]
    fresh = tmp_path / "fresh"
    target = second["env_steps"] + 2500  # a round of 4 games refills the buffer, the next one trains
    assert main(["train", "--resume", str(latest), "--run-dir", str(fresh), "--steps", str(target),
                 "--threads", "1", "--no-tensorboard"]) == 0
    third = _counters(fresh)
    assert third["env_steps"] >= target and third["grad_steps"] > second["grad_steps"]
    assert third["grad_steps"] - second["grad_steps"] < (third["env_steps"] - second["env_steps"])  # refilled first

    capsys.readouterr()
    assert main(["eval", str(latest), "--games", "6"]) == 0
    out = capsys.readouterr().out
    assert "weak" in out and "strong" in out and "wins" in out
    assert main(["eval", str(latest), "--games", "4", "--opponent", "weak", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["weak"]["wins"] + result["weak"]["draws"] + result["weak"]["losses"] == 4


@pytest.mark.parametrize("argv, message", [
    (["train", "--preset", "nope"], "unknown preset"),
    (["train", "--preset", "debug", "--set", "horizn=3"], "unknown config field"),
    (["train", "--resume", "/nonexistent/run"], "no such run directory"),
    (["train", "--threads", "0"], "threads"),
    (["eval", "/nonexistent/x.safetensors"], "no checkpoint"),
    (["eval", "/nonexistent/x.safetensors", "--games", "0"], "games"),
])
def test_command_errors_are_clear(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 1
    assert message in capsys.readouterr().err


def test_wandb_without_the_package_is_a_clear_error(tmp_path, capsys):
    try:
        import wandb  # noqa: F401
    except ImportError:
        assert _train("--run-dir", str(tmp_path / "run"), "--steps", "1", "--wandb") == 1
        assert "wandb" in capsys.readouterr().err
    else:
        pytest.skip("wandb is installed here")


def test_resume_of_a_broken_state_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "trainer.json").write_text("{}")
    assert main(["train", "--resume", str(tmp_path), "--set", "eval_games=3"]) == 1
    assert "holds no saved configuration" in capsys.readouterr().err


def test_self_play_pool_prefers_opponents_it_loses_to():
    pool = SelfPlayManager(lambda state: f"policy-{state['id']}", np.random.default_rng(0), pool_size=2, basic_share=0.0)
    assert pool.choose().kind.startswith("basic")  # no snapshot yet
    for step in (100, 200, 300):
        pool.add_snapshot({"id": step}, step)
    assert [e.step for e in pool.snapshots] == [200, 300]  # the oldest left
    for _ in range(30):
        pool.record_result("self-000000200", +1)
        pool.record_result("self-000000300", -1)
    picks = [pool.choose().name for _ in range(400)]
    assert picks.count("self-000000300") > 5 * picks.count("self-000000200") > 0
    name, policy = pool.sample()
    assert policy == f"policy-{pool.entries[name].step}"
    restored = SelfPlayManager(pool.make_policy, np.random.default_rng(1), 2, 0.0)
    restored.load_json(pool.to_json(), {e.name: e.state for e in pool.snapshots})
    assert restored.to_json() == pool.to_json()


def test_scripted_styles_join_the_pool_at_their_share_and_vary():
    pool = SelfPlayManager(lambda state: state, np.random.default_rng(0), pool_size=2, basic_share=1.0,
                           scripted_share=0.3)
    names = [pool.choose().name for _ in range(2000)]
    scripted = [n for n in names if n == "scripted" or n.startswith(("style-", "policy-"))]
    assert 0.25 < len(scripted) / len(names) < 0.35
    assert 0.4 < scripted.count("scripted") / len(scripted) < 0.6  # half fresh draws, half the fixed opponents
    assert {n for n in scripted if n != "scripted"} == {"style-defender", "style-holder", "style-shooter",
                                                        "policy-passive", "policy-random"}
    fresh, fixed, policies = set(), set(), set()
    for _ in range(80):
        name, policy = pool.sample()
        if name == "scripted" or name.startswith(("style-", "policy-")):
            expected = {"scripted": FreshStylesPolicy, "policy-passive": PassivePolicy, "policy-random": RandomPolicy}
            assert isinstance(policy, expected.get(name, ScriptedPolicy))
            policy.reset(3)
            actions = policy.act(np.zeros((3, 18), np.float32))
            assert actions.shape == (3, 4)
            if name == "scripted":
                assert len(set(policy.styles)) == 3  # a style of its own for every game of the round
                fresh.update(policy.styles)
            elif name.startswith("style-"):
                fixed.add(policy.params)
            else:
                policies.add(name)
                assert (actions == 0).all() == (name == "policy-passive")
    assert len(fresh) >= 12 and len(fixed) == 3  # fresh ones from the family, and the named styles
    assert policies == {"policy-passive", "policy-random"}
    pool.record_result("scripted", -1)
    pool.record_result("style-defender", 0)
    pool.record_result("policy-passive", 0)
    restored = SelfPlayManager(pool.make_policy, np.random.default_rng(1), 2, 1.0, 0.3)
    restored.load_json(pool.to_json() + [{"name": "policy-gone", "kind": "fixed"}], {})
    assert restored.entries["scripted"].games == 1
    assert restored.entries["style-defender"].draws == 1 and restored.entries["policy-passive"].draws == 1
    assert "policy-gone" not in restored.entries  # a fixed policy this version does not know is left out
    # a pool saved before scripted styles (or before the fixed ones) existed still loads, and gains the entries
    restored.load_json([r for r in pool.to_json() if r["name"] == "basic_weak"], {})
    assert restored.entries["scripted"].games == 0
    assert sorted(e.name for e in restored.styles) == ["style-defender", "style-holder", "style-shooter"]
    assert sorted(e.name for e in restored.fixed if e.kind == "fixed") == ["policy-passive", "policy-random"]


def test_an_exploiter_joins_the_pool_for_good_and_is_played_most_while_it_wins():
    from agents.evaluation.scripted import ScriptParams

    pool = SelfPlayManager(lambda state: state, np.random.default_rng(0), 2, 1.0, scripted_share=1.0)
    params = ScriptParams(attack_line=2.0, shoot_delay=3, aim_y=0.5)
    assert pool.add_style("exploiter-000000100", params, 100) == "exploiter-000000100"
    assert pool.add_style("exploiter-000000200", params, 200) == "exploiter-000000100"  # the same style once
    for name in ("style-defender", "style-holder", "style-shooter", "policy-passive", "policy-random"):
        for _ in range(20):
            pool.record_result(name, 1)  # beaten
    for _ in range(20):
        pool.record_result("exploiter-000000100", -1)  # it beats the learner
    names = [pool.choose().name for _ in range(1000)]
    # weights: 5 fixed opponents beaten 20 of 20 (0.05 each), the exploiter 21/22: half the draws go
    # to the fixed ones, so about 0.40 of all draws
    assert names.count("exploiter-000000100") > 0.35 * 1000
    name, policy = "", None
    while name != "exploiter-000000100":
        name, policy = pool.sample()
    assert policy.params == params
    restored = SelfPlayManager(pool.make_policy, np.random.default_rng(1), 2, 1.0, 1.0)
    restored.load_json(pool.to_json(), {})
    assert restored.entries["exploiter-000000100"].params == params.to_dict()
    assert restored.entries["exploiter-000000100"].games == 20


def test_beyond_its_limit_the_exploiter_the_learner_beats_most_leaves():
    from agents.evaluation.scripted import ScriptParams

    pool = SelfPlayManager(lambda state: state, np.random.default_rng(0), 2, 1.0, 1.0, exploiter_limit=2)
    for step, aim in ((100, 0.1), (200, 0.2)):
        pool.add_style(f"exploiter-{step}", ScriptParams(aim_y=aim), step)
    for _ in range(10):
        pool.record_result("exploiter-100", -1)  # still beats the learner
        pool.record_result("exploiter-200", 1)  # beaten
    pool.add_style("exploiter-300", ScriptParams(aim_y=0.3), 300)
    assert sorted(e.name for e in pool.styles) == ["exploiter-100", "exploiter-300", "style-defender",
                                                   "style-holder", "style-shooter"]  # named styles never leave


def test_exploiter_searches_need_a_scripted_share(tmp_path, capsys):
    from agents.config import make_config
    from agents.training.trainer import Trainer

    with pytest.raises(ValueError, match="exploiter_every needs scripted_share"):
        Trainer(make_config("debug", ["exploiter_every=1000"]), tmp_path / "run", tensorboard=False, progress=False)
    assert _train("--set", "exploiter_every=1000", "--run-dir", str(tmp_path / "cli"), "--steps", "10") == 1
    assert "exploiter_every needs scripted_share" in capsys.readouterr().err
    for bad, field in (("exploiter_pool_size=0", "exploiter_pool_size"), ("exploiter_min_win=2", "exploiter_min_win"),
                       ("exploiter_seconds=0", "exploiter_seconds"), ("exploiter_objective=draws", "exploiter_objective")):
        with pytest.raises(ValueError, match=field):
            make_config("debug", ["scripted_share=0.1", "exploiter_every=1000", bad])


def test_the_trainer_searches_exploiters_and_keeps_them_across_a_resume(tmp_path):
    from agents.config import make_config
    from agents.training.trainer import Trainer

    run = tmp_path / "run"
    config = make_config("debug", ["exploiter_every=200", "exploiter_seconds=0.01", "exploiter_min_win=0",
                                   "scripted_share=0.5", "eval_every=0"])
    trainer = Trainer(config, run, tensorboard=False, progress=False)
    trainer.run(700)
    exploiters = [e for e in trainer.opponents.styles if e.name.startswith("exploiter-")]
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    searches = [line for line in lines if "exploiter_win_rate" in line]
    assert len(searches) == 2 and all(line["exploiter_candidates"] >= 1 for line in searches)
    assert all(line["exploiter_joined"] == 1 and 0 <= line["exploiter_confirmed_win_rate"] <= 1 for line in searches)
    assert [e.step for e in exploiters] == [line["step"] for line in searches]  # each joined at its search
    state = json.loads((run / "state" / "trainer.json").read_text())
    del state["counters"]["last_exploiter"]  # as a run saved before exploiter searches
    (run / "state" / "trainer.json").write_text(json.dumps(state))
    resumed = Trainer.resume(run, ["exploiter_min_win=1"], tensorboard=False, progress=False)
    resumed_at = resumed.counters["env_steps"]
    assert resumed.counters["last_exploiter"] == resumed_at  # no search at once
    assert [e.name for e in resumed.opponents.styles if e.name.startswith("exploiter-")] == [e.name for e in exploiters]
    assert resumed.opponents.entries[exploiters[0].name].params == exploiters[0].params
    resumed.run(1000)  # one more search; a style must now win every fresh game to join
    after = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    searched = [line for line in after if "exploiter_win_rate" in line and line["step"] > searches[-1]["step"]]
    assert len(searched) == 1 and searched[0]["step"] >= resumed_at + 200
    joined = len([e for e in resumed.opponents.styles if e.name.startswith("exploiter-")]) - len(exploiters)
    assert joined == searched[0]["exploiter_joined"] == int(searched[0]["exploiter_confirmed_win_rate"] == 1.0)


def test_a_search_by_the_started_objective_admits_a_wall_the_learner_cannot_score_against(tmp_path):
    from agents.config import make_config
    from agents.training.trainer import Trainer

    run = tmp_path / "run"
    config = make_config("debug", ["exploiter_every=200", "exploiter_seconds=0.01", "scripted_share=0.5",
                                   "exploiter_objective=started", "exploiter_min_win=0.5", "eval_every=0"])
    trainer = Trainer(config, run, tensorboard=False, progress=False)
    trainer.run(250)  # one search: an untrained learner scores in hardly any game it starts
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    [metrics] = [line for line in lines if "exploiter_confirmed_exploitation" in line]
    assert metrics["exploiter_confirmed_exploitation"] >= 0.5 and metrics["exploiter_joined"] == 1
    # it joined by the objective: by its win share alone it would not have
    assert metrics["exploiter_confirmed_win_rate"] < 0.5 < metrics["exploiter_confirmed_exploitation"]
    assert [e.step for e in trainer.opponents.styles if e.name.startswith("exploiter-")] == [metrics["step"]]
    resumed = Trainer.resume(run, ["exploiter_objective=win"], tensorboard=False, progress=False)
    assert resumed.config.exploiter_objective == "win"
    assert resumed.config_changes[-1]["changes"] == {"exploiter_objective": ["started", "win"]}


def test_metrics_are_json_lines_and_tensorboard_events(tmp_path):
    from agents.training.metrics import MetricsLogger, RunningMeans

    means = RunningMeans()
    means.add({"model_loss": 2.0, "actor_loss": 1.0})
    means.add({"model_loss": 4.0, "actor_loss": float("nan")})
    logger = MetricsLogger(tmp_path, tensorboard=True)
    line = logger.log(10, {**means.pop(), "games": 3})
    logger.close()
    assert line["model_loss"] == 3.0 and line["games"] == 3 and "actor_loss" not in line  # NaN is dropped
    assert json.loads((tmp_path / "metrics.jsonl").read_text()) == line
    assert list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))


def test_the_best_evaluated_checkpoint_is_kept_across_pruning_and_resume(tmp_path):
    from agents.config import make_config
    from agents.training.trainer import Trainer

    def evaluation(step, weak, strong):
        return {"env_steps": step, "games": 10, "weak": {"win_rate": weak}, "strong": {"win_rate": strong}}

    run = tmp_path / "run"
    trainer = Trainer(make_config("debug"), run, tensorboard=False, progress=False)
    best_steps = []
    # the score is the worst entry's: 200 (sum 0.625) and 900 (sum 1.25) would win by the sum, not by the worst
    for step, weak, strong in [(100, 0.25, 0.25), (200, 0.125, 0.5), (300, 0.5, 0.375), (400, 0.375, 0.5),
                               (500, 0.0, 0.0)]:
        trainer.counters["env_steps"] = step
        trainer.save(evaluation(step, weak, strong))
        best_steps.append(trainer.best["env_steps"])
    assert best_steps == [100, 100, 300, 300, 300]  # a tie keeps the earlier one
    assert json.loads((run / "checkpoints" / "best.json").read_text())["env_steps"] == 300
    for step in (600, 700, 800):  # plain checkpoints are pruned; best.* stays
        trainer.counters["env_steps"] = step
        trainer.save()
    assert json.loads((run / "checkpoints" / "best.json").read_text())["env_steps"] == 300

    resumed = Trainer.resume(run, tensorboard=False, progress=False)
    assert resumed.best == {"env_steps": 300, "score": 0.375, "checkpoint": "checkpoints/step_000000300.safetensors",
                            "criterion": "worst_suite_entry", "mean_score": 0.4375,
                            "suite": "weak,strong,random,defender,shooter,holder"}
    resumed.counters["env_steps"] = 900
    resumed.save(evaluation(900, 1.0, 0.25))  # worst 0.25 < 0.375
    assert json.loads((run / "checkpoints" / "best.json").read_text())["env_steps"] == 300
    resumed.counters["env_steps"] = 1000
    resumed.save(evaluation(1000, 0.5, 0.5))
    assert resumed.best["env_steps"] == 1000
    assert json.loads((run / "checkpoints" / "best.json").read_text())["env_steps"] == 1000


def test_a_best_saved_by_the_former_weak_plus_strong_score_loads_and_gives_way(tmp_path):
    from agents.config import make_config
    from agents.training.trainer import Trainer

    run = tmp_path / "run"
    trainer = Trainer(make_config("debug"), run, tensorboard=False, progress=False)
    trainer.counters["env_steps"] = 100
    trainer.save({"env_steps": 100, "games": 10, "weak": {"win_rate": 1.0}, "strong": {"win_rate": 0.9}})
    state = run / "state" / "trainer.json"
    saved = json.loads(state.read_text())
    saved["best"] = {"env_steps": 100, "score": 1.9, "checkpoint": "checkpoints/step_000000100.safetensors"}
    state.write_text(json.dumps(saved))  # as written before the suite: no criterion, score out of 2

    resumed = Trainer.resume(run, tensorboard=False, progress=False)
    assert resumed.best["score"] == 1.9
    resumed.counters["env_steps"] = 200
    resumed.save({"env_steps": 200, "games": 10, "weak": {"win_rate": 0.5, "score": 0.5},
                  "strong": {"win_rate": 0.25, "score": 0.25}, "score": 0.25, "worst_entry": "strong"})
    assert resumed.best == {"env_steps": 200, "score": 0.25, "checkpoint": "checkpoints/step_000000200.safetensors",
                            "criterion": "worst_suite_entry", "mean_score": 0.375,
                            "suite": "weak,strong,random,defender,shooter,holder"}
    assert json.loads((run / "checkpoints" / "best.json").read_text())["env_steps"] == 200


def test_equal_worst_scores_are_ordered_by_the_mean_score(tmp_path):
    from agents.config import make_config
    from agents.training.trainer import Trainer

    trainer = Trainer(make_config("debug"), tmp_path / "run", tensorboard=False, progress=False)
    for step, entries in [(100, (0.0, 0.5)), (200, (0.0, 0.75)), (300, (0.0, 0.25))]:
        trainer.counters["env_steps"] = step
        trainer.save({"env_steps": step, "games": 10, **{name: {"win_rate": 0.0, "score": value}
                                                         for name, value in zip(("defender", "weak"), entries, strict=True)}})
    assert trainer.best["env_steps"] == 200 and trainer.best["score"] == 0.0


def test_an_unknown_selection_suite_entry_fails_when_the_trainer_is_built(tmp_path):
    from agents.config import make_config
    from agents.training.trainer import Trainer

    with pytest.raises(ValueError, match="unknown suite entry nobody"):
        Trainer(make_config("debug", ["selection_suite=weak,nobody"]), tmp_path, tensorboard=False, progress=False)


def test_the_trainer_collects_through_noise_and_latency(tmp_path):
    from agents.config import make_config
    from agents.training.trainer import Trainer

    def collected(*settings):
        config = make_config("debug", ["eval_every=0", "train_modes=normal=1", *settings])
        trainer = Trainer(config, tmp_path / "-".join(settings), tensorboard=False, progress=False)
        trainer.run(400)
        assert trainer.counters["grad_steps"] > 0
        return [episode["obs"][:-1] for episode in trainer.buffer.episodes]  # the last one is the game's own

    # a normal game's puck lies still at first; seen through noise, its velocity is never exactly 0
    assert any((obs[:, 14] == 0).any() for obs in collected())
    assert not any((obs[:, 14] == 0).any() for obs in collected("noise_share=1"))
    # one step late, the learner acts on the first observation twice
    assert all(np.array_equal(obs[0], obs[1]) for obs in collected("latency_share=1", "latency_steps=1"))


def test_a_best_scored_on_another_selection_suite_gives_way(tmp_path):
    from agents.config import make_config
    from agents.training.trainer import Trainer

    run = tmp_path / "run"
    trainer = Trainer(make_config("debug"), run, tensorboard=False, progress=False)
    trainer.counters["env_steps"] = 100
    trainer.save({"env_steps": 100, "games": 10, "weak": {"win_rate": 0.9}, "strong": {"win_rate": 0.9}})
    resumed = Trainer.resume(run, ["selection_suite=weak,family-0"], tensorboard=False, progress=False)
    resumed.counters["env_steps"] = 200
    resumed.save({"env_steps": 200, "games": 10, "weak": {"win_rate": 0.5}, "family-0": {"win_rate": 0.5}})
    assert resumed.best["env_steps"] == 200 and resumed.best["suite"] == "weak,family-0"
    resumed.counters["env_steps"] = 300
    resumed.save({"env_steps": 300, "games": 10, "weak": {"win_rate": 0.4}, "family-0": {"win_rate": 0.9}})
    assert resumed.best["env_steps"] == 200  # the same suite now: a lower worst entry does not replace it


def test_after_a_start_from_a_checkpoint_the_actor_waits_its_warmup_while_model_and_critic_learn(tmp_path):
    import torch

    from agents.checkpoint import save_checkpoint
    from agents.config import make_config
    from agents.training.trainer import Trainer

    source = Trainer(make_config("debug", ["eval_every=0"]), tmp_path / "source", tensorboard=False, progress=False)
    checkpoint = save_checkpoint(tmp_path / "start", source.agent, {"env_steps": 0, "games": 0, "grad_steps": 0})
    trainer = Trainer.from_checkpoint(checkpoint, tmp_path / "run", ["actor_warmup=1000", "train_start=100"],
                                      tensorboard=False, progress=False)
    assert trainer.counters["actor_from"] == 1000
    before = trainer.agent.state()
    trainer.run(600)
    after = trainer.agent.state()
    assert 0 < trainer.counters["grad_steps"] < 1000
    changed = {name for name in before if not torch.equal(before[name], after[name])}
    assert not any(name.startswith("behavior.actor.") for name in changed)  # the actor waited
    assert any(name.startswith("world_model.") for name in changed)
    assert any(name.startswith("behavior.critic.") for name in changed)
    resumed = Trainer.resume(tmp_path / "run", ["actor_warmup=0"], tensorboard=False, progress=False)
    assert resumed.counters["actor_from"] == 1000  # the warm-up is the start's, a resume keeps it
    resumed.counters["actor_from"] = resumed.counters["grad_steps"]  # now it is over
    resumed.run(900)
    assert any(not torch.equal(after[name], value) for name, value in resumed.agent.state().items()
               if name.startswith("behavior.actor."))
