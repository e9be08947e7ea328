"""``python -m simcache``: the same as the ``simcache`` command."""

import sys

from .cli import main

sys.exit(main())
