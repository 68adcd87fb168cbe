"""``python -m platform_abm.batch``: the same as ``platform-abm`` (sweep, aggregate, plot...)."""

import sys

from platform_abm.cli import main

if __name__ == "__main__":
    sys.exit(main())
