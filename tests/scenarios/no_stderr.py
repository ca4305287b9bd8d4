"""A program without a usable stderr (pythonw.exe; fd 2 closed at start-up): no corptls report may
break it, under -W error too. It GETs URL with urllib; with MISSING_CA it calls
inject(extra_cas=[MISSING_CA]) first, a real problem that is reported, never raised.

    no_stderr.py URL none|as-is [MISSING_CA]     none: sys.stderr = None before anything else
"""

import sys

closed = sys.stderr is None
if sys.argv[2] == "none":
    sys.stderr = None  # as under pythonw.exe; before any import that may start corptls

import json

from kit import get

out: dict[str, object] = {"closed": closed}
if len(sys.argv) > 3:
    import corptls

    corptls.inject(extra_cas=[sys.argv[3]])
    out["injected"] = corptls.is_injected()
out["request"] = get(sys.argv[1])
out["stderr"] = repr(sys.stderr)
print(json.dumps(out))
