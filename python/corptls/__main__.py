"""``python -m corptls``: the ``corptls`` command."""

import sys

from ._cli import main

sys.exit(main())
