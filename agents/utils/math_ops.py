"""symlog / symexp and lambda-returns."""

from __future__ import annotations

import torch


def symlog(x: torch.Tensor) -> torch.Tensor:
    """sign(x) * log(1 + |x|): compresses large magnitudes, keeps small ones nearly linear."""
    return torch.sign(x) * torch.log1p(torch.abs(x))


def symexp(x: torch.Tensor) -> torch.Tensor:
    """The inverse of symlog: sign(x) * (exp(|x|) - 1)."""
    return torch.sign(x) * torch.expm1(torch.abs(x))


def lambda_returns(
    rewards: torch.Tensor,
    continues: torch.Tensor,
    next_values: torch.Tensor,
    gamma: float = 0.997,
    lam: float = 0.95,
) -> torch.Tensor:
    """Lambda-returns along the first (time) axis.

    Index t describes the transition from state t to state t+1: `rewards[t]` is the reward it
    yields, `continues[t]` is 0 when state t+1 ends the game (1 otherwise), `next_values[t]` is
    the value estimate of state t+1. The recursion, from the last step backwards:

        R[T-1] = r[T-1] + gamma * c[T-1] * v[T-1]
        R[t]   = r[t] + gamma * c[t] * ((1 - lam) * v[t] + lam * R[t+1])

    Returns R with the shape of `rewards`.
    """
    if not rewards.shape == continues.shape == next_values.shape:
        raise ValueError(
            f"rewards {tuple(rewards.shape)}, continues {tuple(continues.shape)} and next_values "
            f"{tuple(next_values.shape)} must have the same shape"
        )
    horizon = rewards.shape[0]
    returns = [None] * horizon
    following = next_values[-1]
    for t in reversed(range(horizon)):
        following = rewards[t] + gamma * continues[t] * ((1 - lam) * next_values[t] + lam * following)
        returns[t] = following
    return torch.stack(returns)


def replay_lambda_returns(
    rewards: torch.Tensor,
    continues: torch.Tensor,
    firsts: torch.Tensor,
    values: torch.Tensor,
    gamma: float = 0.997,
    lam: float = 0.95,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Lambda-returns of replayed states, in the replay buffer's alignment (time-major (T, B)).

    Entry t holds state t with `rewards[t]` and `continues[t]` of reaching it (continue 0: state t
    ends the game) and `firsts[t]` = 1 where a new game starts; `values[t]` is the value estimate of
    state t. The return of state t follows the recorded rewards within its own game, bootstrapped
    with the value of the sequence's last state; a state whose game stops inside the sequence (by a
    goal or the time limit) has no next state there: its return is its own value and its weight 0.

    Returns (returns (T - 1, B) of the states 0..T-2, weights (T - 1, B) of 1 or 0)."""
    if not rewards.shape == continues.shape == firsts.shape == values.shape:
        raise ValueError(
            f"rewards {tuple(rewards.shape)}, continues {tuple(continues.shape)}, firsts {tuple(firsts.shape)} "
            f"and values {tuple(values.shape)} must have the same shape"
        )
    if rewards.shape[0] < 2:
        raise ValueError(f"replayed sequences need at least 2 time steps, got {rewards.shape[0]}")
    same_game = 1.0 - firsts[1:]
    returns = [None] * (rewards.shape[0] - 1)
    following = values[-1]
    for t in reversed(range(rewards.shape[0] - 1)):
        step = rewards[t + 1] + gamma * continues[t + 1] * ((1 - lam) * values[t + 1] + lam * following)
        following = same_game[t] * step + (1 - same_game[t]) * values[t]
        returns[t] = following
    return torch.stack(returns), same_game
