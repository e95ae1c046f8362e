"""The Dreamer agent that learns hockey by self-play."""
