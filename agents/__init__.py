"""The Dreamer agent that learns hockey by self-play.

`load_policy(path)` turns a checkpoint (`NAME.safetensors` beside `NAME.json`) into a policy with
`reset(n=1)` and `act(obs)`: (18,) -> (4,) or (n, 18) -> (n, 4), player-one view.
"""

from agents.checkpoint import load_policy

__all__ = ["load_policy"]
