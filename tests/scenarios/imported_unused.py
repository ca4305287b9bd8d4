"""corptls imported and never used: a GET goes as without it, and nothing was read (no warning).

imported_unused.py URL
"""

import json
import sys

from kit import get, record_warnings

warned = record_warnings()
import corptls  # noqa: F401

print(json.dumps({"good": get(sys.argv[1]), "warnings": [str(w.message) for w in warned]}))
