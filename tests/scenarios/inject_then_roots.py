"""inject(extra_cas=[EXTRA_CA...]) first, then corptls.roots(), the bundle's path and two GETs.

inject_then_roots.py GOOD_URL ROGUE_URL [EXTRA_CA...]
"""

import json
import sys

from kit import get, record_warnings, roots

warned = record_warnings()
import corptls

corptls.inject(extra_cas=sys.argv[3:])
out: dict[str, object] = {
    "roots": roots(),
    "path": corptls.bundle_path(),
    "good": get(sys.argv[1]),
    "rogue": get(sys.argv[2]),
}
out["warnings"] = [f"{w.category.__name__}: {w.message}" for w in warned]
print(json.dumps(out))
