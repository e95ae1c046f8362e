"""`league gateway`: run the agent gateway (remote agents connect to it over WebSocket)."""

from __future__ import annotations

import argparse
import asyncio
import signal

from league.cli.errors import CommandError
from league.cli.settings import read_settings
from league.gateway.settings import GatewaySettings
from league.workers.settings import WorkerSettings


def configure(parser: argparse.ArgumentParser) -> None:
    workers, gateway = read_settings(WorkerSettings), read_settings(GatewaySettings)
    parser.add_argument("--server", default=workers.server_url,
                        help="league server URL, e.g. http://127.0.0.1:8000 (env LEAGUE_SERVER_URL)")
    parser.add_argument("--token", default=workers.token,
                        help="the gateway's worker token (env LEAGUE_TOKEN); `league token create --user USER "
                             "--role worker --name gateway`")
    parser.add_argument("--host", default=gateway.host, help="address to listen on (env LEAGUE_GATEWAY_HOST)")
    parser.add_argument("--port", type=int, default=gateway.port, help="port to listen on (env LEAGUE_GATEWAY_PORT)")
    parser.add_argument("--cache-dir", default=str(workers.weights_cache_dir()), help="weights cache directory")
    parser.add_argument("--threads", type=int, default=1, help="torch threads for Dreamer opponents")


def run(args: argparse.Namespace) -> int:
    # deferred: the gateway plays Dreamer opponents (torch), not needed for `league --help`
    from league.gateway.gateway import Gateway
    from league.gateway.link import GatewayLink
    from league.workers.client import IncompatibleServer, LeagueClientError, RetryPolicy
    from league.workers.policies import PolicyLoader
    from league.workers.weights_cache import WeightsCache

    if not args.server:
        raise CommandError("no server given: pass --server URL or set LEAGUE_SERVER_URL")
    if not args.token:
        raise CommandError("no token given: pass --token T or set LEAGUE_TOKEN (a worker token)")
    settings = read_settings(GatewaySettings).model_copy(update={"host": args.host, "port": args.port})
    try:
        link = GatewayLink(args.server, args.token, retry=RetryPolicy(attempts=3))
    except ValueError as error:
        raise CommandError(str(error)) from None
    try:
        link.check_compatible()
    except IncompatibleServer as error:
        raise CommandError(str(error)) from None
    except LeagueClientError as error:
        raise CommandError(f"cannot reach the league server: {error}") from None
    loader = PolicyLoader(WeightsCache(args.cache_dir, link.opponent_weights), threads=args.threads)
    gateway = Gateway(link, loader, settings)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, gateway.stop)
        await gateway.run()

    try:
        asyncio.run(main())
    finally:
        link.close()
    return 0
