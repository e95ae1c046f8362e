"""Opponents for training: what the trainer needs of an opponent source, and the self-play pool
(the learner's snapshots and the game's basic opponents)."""
