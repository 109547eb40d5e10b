"""Entry point: `python -m preview <stack> [options]`."""

import os
import sys

from preview.cli import main

status = main()
try:
    sys.stdout.flush()
except BrokenPipeError:  # the reader went away (`| head`): the exit status still says it all
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
sys.exit(status)
