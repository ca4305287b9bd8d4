"""The bundle without inject(): its file's path and corptls.roots(), after os.chdir(WORKDIR) if given.

bundle_report.py [WORKDIR]
"""

import json
import os
import sys

from kit import record_warnings, roots

warned = record_warnings()
import corptls

if len(sys.argv) > 1:
    os.chdir(sys.argv[1])
out: dict[str, object] = {"path": corptls.bundle_path(), "roots": roots()}
out["warnings"] = [f"{w.category.__name__}: {w.message}" for w in warned]
print(json.dumps(out))
