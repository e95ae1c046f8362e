"""Remote agents, the program's side: the protocol (`league.remote.protocol`) and the client
(`league.remote.client`: write a class with `act(obs_batch)`, call `connect(...)`). Nothing here
imports the league's server; the league side is `league.gateway`."""
