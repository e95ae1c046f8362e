"""The training loop: environments, collection, evaluation, checkpoints and metrics."""
