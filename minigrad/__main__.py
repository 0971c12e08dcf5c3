"""`python -m minigrad ...` runs the `minigrad` command (see `minigrad.cli`)."""

import sys

from minigrad.cli import main

if __name__ == "__main__":
    sys.exit(main())
