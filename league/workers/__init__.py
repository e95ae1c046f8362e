"""Workers: HTTP clients of the league server that play matches and train agents.

Workers never open the database; everything goes through `league.workers.client.LeagueClient`.
- `client`: the HTTP client (timeouts, retries with backoff, version check, clear exceptions).
- `weights_cache`: opponent weights downloaded once, stored by sha256.
- `match_worker`: `league match-worker`, claims match jobs and plays them.
- `trainer_link`: connects the Dreamer training loop to a server (`league train --server`).
- `supervisor` and `up`: `league up`, the whole league on one machine.
"""
