"""corptls.roots() first (the store read, problems warned of), then inject() and two GETs.

roots_then_inject.py GOOD_URL ROGUE_URL
"""

import json
import sys

from kit import get, record_warnings, roots

warned = record_warnings()
import corptls

out: dict[str, object] = {"roots": roots()}
corptls.inject()
out["good"], out["rogue"] = get(sys.argv[1]), get(sys.argv[2])
out["warnings"] = [f"{w.category.__name__}: {w.message}" for w in warned]
print(json.dumps(out))
