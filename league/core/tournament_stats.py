"""Strength estimates from a tournament's games: Bradley-Terry with ties (Davidson's model).

In Davidson's model participant i has a strength theta_i and the games have one draw parameter
nu = exp(eta): against j, i wins with probability e^(x/2) / Z, loses with e^(-x/2) / Z and draws
with nu / Z, where x = theta_i - theta_j and Z = e^(x/2) + e^(-x/2) + nu. The log-likelihood is
concave in (theta, eta); a weak Gaussian prior (precision `PRIOR`) keeps a participant that won or
lost every game finite and fixes the free offset. It is maximised by Newton's method with step
halving, for many tables of counts at once (the bootstrap's replicates are one batch).

Estimates are reported on the Elo scale (400 / ln 10 per unit of theta), centred on the
participants' mean. The interval is a percentile bootstrap over games: the games are resampled
with replacement (a multinomial draw over the (pair, outcome) cells), each replicate is fitted,
and the 2.5 and 97.5 percentiles of each participant's centred estimate are the 95 % interval.
The random generator is seeded, so the same games give the same interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

ELO_PER_UNIT = 400 / math.log(10)
PRIOR = 0.1  # precision of the Gaussian prior on each theta and on eta
BOOTSTRAP_REPLICATES = 200
CONFIDENCE = 0.95


@dataclass(frozen=True)
class PairCounts:
    """Results of every pair (i < j, indices into the participants): i's wins, draws, j's wins."""

    n: int
    i: np.ndarray
    j: np.ndarray
    wins: np.ndarray
    draws: np.ndarray
    losses: np.ndarray

    @staticmethod
    def from_games(n: int, games: list[tuple[int, int, int]]) -> PairCounts:
        """From `(a, b, outcome for a)` triples (outcome +1, 0, -1; a != b, indices below `n`)."""
        pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
        index = {pair: k for k, pair in enumerate(pairs)}
        counts = np.zeros((len(pairs), 3))
        for a, b, outcome in games:
            if a > b:
                a, b, outcome = b, a, -outcome
            counts[index[(a, b)], 1 - outcome] += 1  # column 0 wins, 1 draws, 2 losses (of the lower index)
        i = np.array([p[0] for p in pairs], dtype=int)
        j = np.array([p[1] for p in pairs], dtype=int)
        return PairCounts(n, i, j, counts[:, 0], counts[:, 1], counts[:, 2])


@dataclass(frozen=True)
class Estimates:
    """Centred Elo-scale strengths with their bootstrap interval, and the draw parameter nu."""

    strength: np.ndarray
    low: np.ndarray
    high: np.ndarray
    draw_nu: float


def _objective(theta, eta, i, j, w, d, lo, prior):
    x = theta[:, i] - theta[:, j]
    log_z = np.logaddexp(np.logaddexp(x / 2, -x / 2), eta[:, None])
    n = w + d + lo
    return ((w - lo) * x / 2 + d * eta[:, None] - n * log_z).sum(axis=1) - prior / 2 * (
        (theta**2).sum(axis=1) + eta**2)


def fit_davidson(n: int, i: np.ndarray, j: np.ndarray, wins: np.ndarray, draws: np.ndarray, losses: np.ndarray,
                 *, prior: float = PRIOR, iterations: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Maximum a posteriori (theta, eta) of Davidson's model for a batch of count tables.

    `wins`, `draws`, `losses` have shape (batch, pairs) (or (pairs,)): results of pair k from `i[k]`'s
    side against `j[k]`. Returns theta of shape (batch, n) and eta of shape (batch,).
    """
    w, d, lo = (np.atleast_2d(np.asarray(c, dtype=float)) for c in (wins, draws, losses))
    batch = w.shape[0]
    theta, eta = np.zeros((batch, n)), np.zeros(batch)
    total = w + d + lo
    rows = np.arange(batch)[:, None]
    last = np.full((1, len(i)), n)  # the index of eta among the parameters
    current = _objective(theta, eta, i, j, w, d, lo, prior)
    for _ in range(iterations):
        x = theta[:, i] - theta[:, j]
        s, c, nu = np.sinh(x / 2), np.cosh(x / 2), np.exp(eta)[:, None]
        z = 2 * c + nu
        g_x = (w - lo) / 2 - total * s / z
        g_eta = (d - total * nu / z).sum(axis=1) - prior * eta
        h_xx = -total * (c / 2 * z - s**2) / z**2
        h_xe = total * nu * s / z**2
        h_ee = (-total * nu * (z - nu) / z**2).sum(axis=1) - prior
        grad = np.zeros((batch, n + 1))
        np.add.at(grad, (rows, i[None, :]), g_x)
        np.add.at(grad, (rows, j[None, :]), -g_x)
        grad[:, :n] -= prior * theta
        grad[:, n] = g_eta
        hess = np.zeros((batch, n + 1, n + 1))
        np.add.at(hess, (rows, i[None, :], i[None, :]), h_xx)
        np.add.at(hess, (rows, j[None, :], j[None, :]), h_xx)
        np.add.at(hess, (rows, i[None, :], j[None, :]), -h_xx)
        np.add.at(hess, (rows, j[None, :], i[None, :]), -h_xx)
        np.add.at(hess, (rows, i[None, :], last), h_xe)
        np.add.at(hess, (rows, j[None, :], last), -h_xe)
        np.add.at(hess, (rows, last, i[None, :]), h_xe)
        np.add.at(hess, (rows, last, j[None, :]), -h_xe)
        hess[:, np.arange(n), np.arange(n)] -= prior
        hess[:, n, n] = h_ee
        step = -np.linalg.solve(hess, grad[..., None])[..., 0]
        scale = np.ones(batch)
        for _halving in range(30):  # accept the largest step 2^-k that does not lower the objective
            trial_theta, trial_eta = theta + scale[:, None] * step[:, :n], eta + scale * step[:, n]
            trial = _objective(trial_theta, trial_eta, i, j, w, d, lo, prior)
            worse = trial < current - 1e-12
            if not worse.any():
                break
            scale = np.where(worse, scale / 2, scale)
        keep = trial >= current - 1e-12
        theta = np.where(keep[:, None], trial_theta, theta)
        eta, current = np.where(keep, trial_eta, eta), np.where(keep, trial, current)
        if np.abs(scale[:, None] * step).max() < 1e-9:
            break
    return theta, eta


def estimate(counts: PairCounts, *, seed: int = 0, replicates: int = BOOTSTRAP_REPLICATES,
             confidence: float = CONFIDENCE) -> Estimates:
    """Centred Elo-scale strengths of the `counts.n` participants and their percentile bootstrap interval."""
    n = counts.n
    cells = np.concatenate([counts.wins, counts.draws, counts.losses])
    games = int(cells.sum())
    if n < 2 or games == 0:
        zeros = np.zeros(n)
        return Estimates(zeros, np.full(n, -math.inf), np.full(n, math.inf), 1.0)
    theta, eta = fit_davidson(n, counts.i, counts.j, counts.wins, counts.draws, counts.losses)
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(games, cells / games, size=replicates)
    k = len(counts.i)
    boot, _ = fit_davidson(n, counts.i, counts.j, draws[:, :k], draws[:, k:2 * k], draws[:, 2 * k:])
    centred = (boot - boot.mean(axis=1, keepdims=True)) * ELO_PER_UNIT
    alpha = (1 - confidence) / 2
    low, high = np.quantile(centred, [alpha, 1 - alpha], axis=0)
    point = (theta[0] - theta[0].mean()) * ELO_PER_UNIT
    return Estimates(point, low, high, float(np.exp(eta[0])))
