"""Right after start-up with autoload enabled: which of ssl, _ssl, certifi, typing and corptls's
modules are loaded (none may be), and what waits in sys._corptls_autoload. Imports nothing else."""

import json
import sys

loaded = [m for m in sys.modules if m in ("ssl", "_ssl", "certifi", "typing") or m.startswith("corptls")]
print(json.dumps({"loaded": loaded, "waiting": type(sys._corptls_autoload).__name__}))  # type: ignore[attr-defined]
