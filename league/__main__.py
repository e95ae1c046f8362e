"""`python -m league COMMAND ...`: the `league` command with this interpreter.

Child processes are started this way (not `python -m league.cli`, which would run the CLI
module as `__main__` beside the imported `league.cli`, so its `CommandError` would not be
caught and an expected failure would end in a traceback).
"""

import sys

from league.cli import main

sys.exit(main())
