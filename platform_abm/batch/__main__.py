"""``python -m platform_abm.batch``: the sweep, aggregate and plot commands on their own."""

import sys

from platform_abm.batch.cli import main

if __name__ == "__main__":
    sys.exit(main())
