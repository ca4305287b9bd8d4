"""`corptls run`'s Windows way (corptls._run.spawn), here on Linux: CMD... as a child with a
minimal environment; exits with the child's code.

    spawn.py CMD...
"""

import sys

from corptls import _run

sys.exit(_run.spawn(sys.argv[1:], {"PATH": "/usr/bin:/bin"}))
