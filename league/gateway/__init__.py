"""The agent gateway: the league side remote agents connect to over WebSocket.

It is a worker of the league (an HTTP client of the server through `league.workers.client`, with a
worker token; never the database): it authenticates each connection's token with the server, claims
the match jobs of its connected agents, plays them (the other side loaded like any policy, the
remote side asked for all its running games' actions in one message per step), and reports the
results through the job API. `league gateway` runs it; `league up` starts one. The protocol is in
`league.remote.protocol` and docs/remote-protocol.md.
"""
