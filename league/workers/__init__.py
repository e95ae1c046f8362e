"""Workers: HTTP clients of the league server that play matches and train agents.

Workers never open the database; everything goes through `league.workers.client.LeagueClient`,
which returns the core's wire models (`league.core.schemas`).
- `client`: the HTTP client (timeouts, retries with backoff, version check, clear exceptions).
- `settings`: the workers' `LEAGUE_*` settings (server URL, token, data and cache directories).
- `weights_cache`: opponent weights downloaded once, stored by sha256.
- `policies`, `runner`: policies built through the kind registry; a job's games played and reported.
- `match_worker`: claims match jobs and plays them (`league match-worker`).
- `trainer_link`: connects the Dreamer training loop to a server (`league train --server`).
- `display`: progress on a terminal, a line per job elsewhere.
"""
