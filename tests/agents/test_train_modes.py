"""Training drills in collected games (`train_modes`) and configuration changes on resume."""

import json

import numpy as np
import pytest
import torch

from agents.config import GAME_MODES, RESUMABLE_FIELDS, DreamerConfig, apply_resume_overrides, make_config
from agents.training.games import collect_games
from agents.training.trainer import Trainer
from agents.utils.buffer import EpisodeBuffer
from league.cli import main
from league.hockey import Mode
from league.hockey.constants import MAX_TIMESTEPS

torch.set_num_threads(1)


class Still:
    """A batched policy that does nothing: drills end by the time limit unless the puck goes in by itself."""

    def reset(self, n=1):
        pass

    def act(self, obs):
        return np.zeros((len(obs), 4))


def _train(*argv):
    return main(["train", "--threads", "1", "--no-tensorboard", *argv])


def _saved(run):
    return json.loads((run / "state" / "trainer.json").read_text())


@pytest.mark.parametrize("text, expected", [
    ('{"normal": 0.5, "shooting": 0.3, "defense": 0.2}', {"normal": 0.5, "shooting": 0.3, "defense": 0.2}),
    ("[1, 0, 3]", {"normal": 1.0, "shooting": 0.0, "defense": 3.0}),
    ("0.6,0.4,0", {"normal": 0.6, "shooting": 0.4, "defense": 0.0}),
    ("shooting=2, defense=1", {"normal": 0.0, "shooting": 2.0, "defense": 1.0}),
])
def test_train_modes_are_read_in_every_written_form(text, expected):
    config = make_config("debug", [f"train_modes={text}"])
    assert config.train_modes == expected
    total = sum(expected.values())
    assert config.mode_probabilities() == pytest.approx([expected[m] / total for m in GAME_MODES])
    assert DreamerConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config


@pytest.mark.parametrize("text, message", [
    ("normal=-0.1,shooting=1", "normal must not be negative"),
    ("0,0,0", "sum to more than 0"),
    ("0.5,0.5", "needs 3 weights"),
    ("normal=0.5,penalty=0.5", "unknown mode(s) penalty"),
    ("normal=lots", "'lots' is not a number"),
    ('{"normal": "half"}', "weight of normal must be a number"),
    ("normal=1,0.5", "cannot read"),
    ("7", "must map normal, shooting, defense to weights"),
])
def test_bad_train_modes_are_refused_clearly(text, message, capsys, tmp_path):
    with pytest.raises(ValueError, match="train_modes") as error:
        make_config("debug", [f"train_modes={text}"])
    assert message in str(error.value)
    assert _train("--preset", "debug", "--run-dir", str(tmp_path / "run"), "--set", f"train_modes={text}") == 1
    assert message in capsys.readouterr().err


def test_presets_mix_drills_into_collected_games():
    for preset in ("default", "debug"):
        probabilities = make_config(preset).mode_probabilities()
        assert probabilities[0] == pytest.approx(0.5) and min(probabilities) > 0


def test_the_mode_mix_is_followed(tmp_path):
    config = make_config("debug", ["train_modes=normal=0.5,shooting=0.3,defense=0.2"])
    trainer = Trainer(config, tmp_path / "run", seed=3, tensorboard=False, progress=False)
    counts = np.bincount(trainer.draw_modes(6000), minlength=3) / 6000
    assert counts == pytest.approx([0.5, 0.3, 0.2], abs=0.025)
    only_shooting = Trainer(config.replace(train_modes={"shooting": 1.0}), tmp_path / "other", seed=3,
                            tensorboard=False, progress=False)
    assert set(only_shooting.draw_modes(200)) == {int(Mode.TRAIN_SHOOTING)}


def test_training_games_of_each_mode_land_in_the_buffer_and_the_metrics(tmp_path):
    run = tmp_path / "run"
    assert _train("--preset", "debug", "--run-dir", str(run), "--steps", "500", "--seed", "1",
                  "--set", "train_start=100000", "--set", "train_modes=0,1,1", "--set", "log_every=100") == 0
    counters = _saved(run)["counters"]
    assert counters["games_shooting"] > 0 and counters["games_defense"] > 0
    assert counters["games_shooting"] + counters["games_defense"] == counters["games"]
    assert counters.get("games_normal", 0) == 0
    buffer = EpisodeBuffer.load(run / "state" / "buffer.npz", 100_000)
    # every game played is in the buffer, and so are the last round's games cut at the step budget
    assert counters["env_steps"] == 500 and len(buffer) == 500 + len(buffer.episodes)
    assert counters["games"] <= len(buffer.episodes) <= counters["games"] + make_config("debug").num_envs
    assert max(len(e["first"]) - 1 for e in buffer.episodes) <= MAX_TIMESTEPS[Mode.TRAIN_SHOOTING] + 1
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    last = lines[-1]
    for mode in ("shooting", "defense"):
        assert 0 <= last[f"train_{mode}_win_rate"] + last[f"train_{mode}_loss_rate"] <= 1
    assert last["games_shooting"] + last["games_defense"] == last["games"]


def test_a_drill_that_runs_out_of_time_is_truncated_not_terminal():
    # the learner stands still: the shooting drill runs out of time; the defence drill's shot goes in
    shooting, defense = collect_games(Still(), Still(), [5, 5], modes=[Mode.TRAIN_SHOOTING, Mode.TRAIN_DEFENSE])
    assert shooting.mode == Mode.TRAIN_SHOOTING and defense.mode == Mode.TRAIN_DEFENSE
    assert shooting.winner == 0 and not shooting.terminated
    assert shooting.length == MAX_TIMESTEPS[Mode.TRAIN_SHOOTING] + 1  # the limit is checked before counting
    assert defense.terminated and defense.winner == -1 and defense.length < shooting.length
    assert defense.rewards[-1] == -1.0 and not defense.rewards[:-1].any()
    buffer = EpisodeBuffer(10_000)
    for game in (shooting, defense):
        buffer.add_episode(game.obs, game.actions, game.rewards, game.terminated)
    kept, scored = buffer.episodes
    assert kept["cont"].tolist() == [1.0] * len(kept["cont"])  # a time limit is no end of the game
    assert scored["cont"][-1] == 0.0 and scored["cont"][:-1].all()
    assert kept["first"][0] == scored["first"][0] == 1.0
    # games asked for no mode are normal games
    normal, _ = collect_games(Still(), Still(), [6, 7])
    assert normal.mode == Mode.NORMAL
    assert normal.length == MAX_TIMESTEPS[Mode.NORMAL] + 1 or normal.terminated


def test_resume_applies_allowed_settings_and_names_refused_ones(tmp_path, capsys):
    run = tmp_path / "run"
    assert _train("--preset", "debug", "--run-dir", str(run), "--steps", "300", "--set", "train_start=100000") == 0
    before = _saved(run)["counters"]["env_steps"]
    capsys.readouterr()

    assert _train("--resume", str(run), "--steps", str(before + 200), "--set", "train_modes=1,0,0",
                  "--set", "model_lr=1e-4", "--set", "eval_games=2") == 0
    out = capsys.readouterr().out
    assert "train_modes" in out and "model_lr 0.0003 -> 0.0001" in out
    saved = _saved(run)
    assert saved["config"]["train_modes"] == {"normal": 1.0, "shooting": 0.0, "defense": 0.0}
    assert json.loads((run / "config.json").read_text())["model_lr"] == 1e-4
    (change,) = saved["config_changes"]
    assert change["env_steps"] == before and set(change["changes"]) == {"train_modes", "model_lr", "eval_games"}
    assert saved["counters"]["games_normal"] > 0 and saved["counters"]["env_steps"] > before

    for argv, message in [
        (["--set", "horizon=3"], "config field 'horizon' cannot change in a resumed run"),
        (["--set", "hidden=64"], "'hidden' cannot change"),
        (["--set", "horizn=3"], "unknown config field 'horizn'"),
        (["--set", "train_modes=0,0,0"], "sum to more than 0"),
    ]:
        assert _train("--resume", str(run), "--steps", "1", *argv) == 1
        assert message in capsys.readouterr().err
    assert _saved(run)["config"] == saved["config"]  # nothing was written


def test_a_checkpoint_alone_resumes_with_allowed_settings(tmp_path, capsys):
    run = tmp_path / "run"
    assert _train("--preset", "debug", "--run-dir", str(run), "--steps", "300", "--set", "train_start=100000") == 0
    checkpoint = sorted((run / "checkpoints").glob("step_*.safetensors"))[-1]
    start = json.loads(checkpoint.with_suffix(".json").read_text())["env_steps"]
    again = tmp_path / "again"
    assert _train("--resume", str(checkpoint), "--run-dir", str(again), "--set", "horizon=3") == 1
    assert "config field 'horizon' cannot change in a resumed run" in capsys.readouterr().err
    assert not (again / "state").exists()  # nothing was written
    capsys.readouterr()

    assert _train("--resume", str(checkpoint), "--run-dir", str(again), "--steps", str(start + 100),
                  "--set", "reward_shaping=0.1", "--set", "actor_lr=1e-4") == 0
    assert "reward_shaping 0.0 -> 0.1" in capsys.readouterr().out
    saved = _saved(again)
    assert saved["config"]["reward_shaping"] == 0.1 and saved["config"]["actor_lr"] == 1e-4
    (change,) = saved["config_changes"]
    assert change == {"env_steps": start, "changes": {"reward_shaping": [0.0, 0.1], "actor_lr": [3e-5, 1e-4]}}
    assert saved["counters"]["env_steps"] > start


def test_the_resume_allow_list_changes_no_tensor_shape():
    from agents.checkpoint import expected_tensor_specs

    config = make_config("debug")
    assert {"train_modes", "reward_shaping", "train_ratio", "model_lr", "eval_games"} <= RESUMABLE_FIELDS
    assert not {"hidden", "latent", "recurrent", "mlp_layers", "buffer_capacity", "pool_size"} & RESUMABLE_FIELDS
    changed, changes = apply_resume_overrides(config, ["reward_shaping=0.5", "train_ratio=8", "end_share=0.5"])
    assert changes == {"reward_shaping": [0.0, 0.5], "train_ratio": [10.0, 8.0], "end_share": [0.25, 0.5]}
    assert expected_tensor_specs(changed) == expected_tensor_specs(config)


def test_runs_saved_before_the_drills_resume_with_normal_games_only(tmp_path):
    run = tmp_path / "run"
    assert _train("--preset", "debug", "--run-dir", str(run), "--steps", "100", "--set", "train_start=100000") == 0
    state = run / "state" / "trainer.json"
    saved = json.loads(state.read_text())
    del saved["config"]["train_modes"]
    state.write_text(json.dumps(saved))
    trainer = Trainer.resume(run, tensorboard=False, progress=False)
    assert trainer.config.mode_probabilities() == [1.0, 0.0, 0.0]
    assert Trainer.resume(run, ["train_modes=0,1,0"], tensorboard=False, progress=False).config_changes[-1][
        "changes"]["train_modes"][0] == {"normal": 1.0, "shooting": 0.0, "defense": 0.0}


def test_runs_saved_before_the_replay_value_loss_and_scored_share_resume_with_their_defaults(tmp_path):
    run = tmp_path / "run"
    assert _train("--preset", "debug", "--run-dir", str(run), "--steps", "100", "--set", "train_start=100000") == 0
    state = run / "state" / "trainer.json"
    saved = json.loads(state.read_text())
    del saved["config"]["replay_value_scale"], saved["config"]["scored_share"]
    state.write_text(json.dumps(saved))
    defaults = DreamerConfig()
    trainer = Trainer.resume(run, tensorboard=False, progress=False)
    assert (trainer.config.replay_value_scale, trainer.config.scored_share) == (0.3, 0.5)
    assert (defaults.replay_value_scale, defaults.scored_share) == (0.3, 0.5)
    assert not trainer.config_changes
    changed = Trainer.resume(run, ["replay_value_scale=0.5", "scored_share=0.25"], tensorboard=False, progress=False)
    assert changed.config_changes[-1]["changes"] == {"replay_value_scale": [0.3, 0.5], "scored_share": [0.5, 0.25]}
    assert {"replay_value_scale", "scored_share"} <= RESUMABLE_FIELDS
