"""Opponents for training: the self-play pool of the learner's snapshots and the basic opponents."""
