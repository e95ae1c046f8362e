"""The agent's networks: the world model (encoder, RSSM, heads) and the behaviour (actor, critic)."""
