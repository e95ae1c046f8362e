"""Two suite results compared: per-entry differences beyond noise, the verdict, and `league compare`'s errors."""

import json

import numpy as np
import pytest

from agents.evaluation.compare import Z, compare_suites, comparison_lines
from agents.evaluation.scripted import PassivePolicy, RandomPolicy
from agents.evaluation.suite import run_entries, selection_entries
from league.cli import main


def _entry(score, games=200, measure="win", started=None, started_win_rate=None, loss_rate=0.0):
    return {"score": score, "games": games, "measure": measure, "started": started,
            "started_win_rate": started_win_rate, "loss_rate": loss_rate}


def _result(**entries):
    return {"entries": entries}


def test_a_large_change_is_beyond_noise_and_a_small_one_is_not():
    old = _result(weak=_entry(0.50), strong=_entry(0.95), mirror={"score": None, "games": 200, "measure": "mirror"})
    new = _result(weak=_entry(0.90), strong=_entry(0.93), mirror={"score": None, "games": 200, "measure": "mirror"})
    comparison = compare_suites(old, new)
    rows = {row.name: row for row in comparison["entries"]}
    assert set(rows) == {"weak", "strong"}  # the mirror has no score
    assert rows["weak"].verdict == "better" and rows["weak"].z > Z
    assert rows["strong"].verdict == "same" and rows["strong"].difference == pytest.approx(-0.02)
    assert comparison["better"] and comparison["better_entries"] == ["weak"] and comparison["worse_entries"] == []
    assert comparison["candidate_mean"] == pytest.approx(0.915) and comparison["baseline_worst"] == 0.5
    reverse = compare_suites(new, old)
    assert not reverse["better"] and reverse["worse_entries"] == ["weak"]
    assert "not better on the whole suite (worse on weak)" in comparison_lines(reverse)[-1]


def test_a_higher_mean_is_not_enough_when_one_entry_is_worse_beyond_noise():
    old = _result(a=_entry(0.2), b=_entry(0.9))
    new = _result(a=_entry(0.9), b=_entry(0.6))
    comparison = compare_suites(old, new)
    assert comparison["candidate_mean"] > comparison["baseline_mean"] and not comparison["better"]
    assert comparison["worse_entries"] == ["b"]
    same = compare_suites(old, old)
    assert not same["better"] and all(row.verdict == "same" for row in same["entries"])  # equal is not better


def test_a_started_score_counts_only_the_games_started():
    # 0.6 -> 0.8 is beyond noise over 200 games, not over the 20 games the share counts
    old = _result(style=_entry(0.6, measure="started", started=20, started_win_rate=0.6))
    new = _result(style=_entry(0.8, measure="started", started=20, started_win_rate=0.8))
    assert compare_suites(old, new)["entries"][0].verdict == "same"
    # when the score is one minus the loss share, all the games count
    old = _result(style=_entry(0.6, measure="started", started=20, started_win_rate=0.9, loss_rate=0.4))
    new = _result(style=_entry(0.8, measure="started", started=20, started_win_rate=0.9, loss_rate=0.2))
    assert compare_suites(old, new)["entries"][0].verdict == "better"


def test_entries_only_one_result_holds_are_listed_not_judged():
    comparison = compare_suites(_result(a=_entry(0.5), gone=_entry(0.1)), _result(a=_entry(0.5), new=_entry(0.0)))
    assert [row.name for row in comparison["entries"]] == ["a"]
    assert comparison["only_baseline"] == ["gone"] and comparison["only_candidate"] == ["new"]
    lines = comparison_lines(comparison)
    assert "only in the baseline (not judged): gone" in lines and "only in the candidate (not judged): new" in lines


def test_real_suite_results_compare_as_their_games_say():
    entries = selection_entries("passive,random")
    still = run_entries(PassivePolicy(), entries, 20)
    moving = run_entries(RandomPolicy(0), entries, 20)
    comparison = compare_suites({"entries": still}, {"entries": moving})
    rows = {row.name: row for row in comparison["entries"]}
    # a passive policy never scores: against passive both draw every game, the same result
    assert rows["passive"].baseline == rows["passive"].candidate == 0.0 and rows["passive"].verdict == "same"
    assert rows["random"].baseline == still["random"]["score"] and rows["random"].candidate == moving["random"]["score"]


@pytest.mark.parametrize("baseline, message", [
    ([1, 2], "the baseline is not a suite result"),
    ({"entries": {"weak": {"score": "high", "games": 10}}}, "the baseline's entry 'weak' has no valid 'score'"),
    ({"entries": {"weak": {"score": 0.5, "games": 0}}}, "outside [0, 1] or no games"),
    ({"entries": {"weak": {"score": 1.5, "games": 10}}}, "outside [0, 1] or no games"),
    ({"entries": {"weak": {"score": True, "games": 10}}}, "no valid 'score'"),
    ({"entries": {"weak": "won"}}, "the baseline's entry 'weak' is not an object"),
    ({"entries": {"other": {"score": 0.5, "games": 10}}}, "no scored entry in common"),
])
def test_league_compare_says_what_is_wrong_with_a_result(tmp_path, capsys, baseline, message):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_result(weak=_entry(0.5))))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(baseline))
    assert main(["compare", str(bad), str(good)]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_league_compare_refuses_files_it_cannot_read(tmp_path, capsys):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_result(weak=_entry(0.5))))
    (tmp_path / "broken.json").write_text("{ not json")
    (tmp_path / "binary.json").write_bytes(bytes([0xFF, 0xFE, 0x00]))
    for path, message in ((tmp_path / "missing.json", "no such file"), (tmp_path / "broken.json", "not JSON"),
                          (tmp_path / "binary.json", "cannot be read"), (tmp_path, "cannot be read")):
        assert main(["compare", str(good), str(path)]) == 1
        err = capsys.readouterr().err
        assert f"candidate {path}: {message}" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as exited:  # argparse: the candidate is missing
        main(["compare", str(good)])
    assert exited.value.code == 2 and "candidate" in capsys.readouterr().err


def test_league_compare_prints_a_table_and_a_verdict_or_json(tmp_path, capsys):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(_result(weak=_entry(0.5), strong=_entry(0.9))))
    new.write_text(json.dumps(_result(weak=_entry(0.95), strong=_entry(0.9))))
    assert main(["compare", str(old), str(new)]) == 0
    out = capsys.readouterr().out
    assert "weak" in out and "better" in out and "verdict: the candidate is better on the whole suite" in out
    assert main(["compare", str(old), str(new), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["better"] is True and {row["entry"]: row["verdict"] for row in report["entries"]} == {
        "weak": "better", "strong": "same"}
    assert np.isclose(report["candidate_mean"], 0.925)
