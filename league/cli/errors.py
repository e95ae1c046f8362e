"""The command line's one expected failure."""


class CommandError(Exception):
    """An expected failure: bad input, unreachable server, wrong token. Printed without a traceback."""
