"""Entry point: `python -m preview <stack> [options]`."""

import sys

from preview.cli import main

sys.exit(main())
