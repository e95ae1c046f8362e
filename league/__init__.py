"""The hockey league: the game, snapshots, ratings, matchmaking and workers."""
