"""The strength estimate: Davidson's model recovers a synthetic pool, and its bootstrap intervals
cover the true strengths at about their nominal rate."""

from __future__ import annotations

import numpy as np

from league.core.tournament_stats import ELO_PER_UNIT, PairCounts, estimate, fit_davidson

TRUE_THETA = np.array([-1.0, -0.4, 0.0, 0.3, 0.8, 1.2])
TRUE_NU = 0.8  # about 30 % draws between equals, as in hockey


def _round_robin(rng, theta, nu, games_per_pair):
    games = []
    for a in range(len(theta)):
        for b in range(a + 1, len(theta)):
            x = theta[a] - theta[b]
            p = np.array([np.exp(x / 2), nu, np.exp(-x / 2)])
            games += [(a, b, int(o)) for o in rng.choice([1, 0, -1], size=games_per_pair, p=p / p.sum())]
    return games


def test_the_fit_recovers_a_large_synthetic_pool():
    rng = np.random.default_rng(0)
    counts = PairCounts.from_games(len(TRUE_THETA), _round_robin(rng, TRUE_THETA, TRUE_NU, 4000))
    theta, eta = fit_davidson(counts.n, counts.i, counts.j, counts.wins, counts.draws, counts.losses)
    centred = theta[0] - theta[0].mean()
    assert np.abs(centred - (TRUE_THETA - TRUE_THETA.mean())).max() < 0.05
    assert abs(np.exp(eta[0]) - TRUE_NU) < 0.05


def test_bootstrap_intervals_cover_the_true_strengths_at_about_95_percent():
    rng = np.random.default_rng(1)
    truth = (TRUE_THETA - TRUE_THETA.mean()) * ELO_PER_UNIT
    covered = widths = total = 0
    for repetition in range(150):
        games = _round_robin(rng, TRUE_THETA, TRUE_NU, 40)
        fitted = estimate(PairCounts.from_games(len(TRUE_THETA), games), seed=repetition)
        covered += int(((fitted.low <= truth) & (truth <= fitted.high)).sum())
        widths += float((fitted.high - fitted.low).mean())
        total += len(truth)
    rate = covered / total
    assert 0.90 <= rate <= 0.985, rate  # 900 intervals: the binomial sd at 95 % is 0.7 points
    assert 50 < widths / 150 < 400  # informative, not a blanket


def test_a_clean_sweep_stays_finite_and_the_same_seed_gives_the_same_interval():
    counts = PairCounts.from_games(3, [(0, 1, 1)] * 10 + [(2, 0, -1)] * 10 + [(1, 2, 0)] * 4)
    first, second = estimate(counts, seed=3), estimate(counts, seed=3)
    assert np.isfinite(first.strength).all() and first.strength[0] > first.strength[1]
    assert np.array_equal(first.low, second.low) and np.array_equal(first.high, second.high)
    assert abs(first.strength[1] - first.strength[2]) < 1e-6
