"""Runs in the Windows CPython under pythonw.exe, where sys.stdout and sys.stderr are None.

    python.exe no_stderr.py OUT_JSON MODE HOST      MODE: inject | autoload (an enabled hook does it)

Relaunches itself under pythonw.exe as a detached process (no console, no inherited standard
handles: what a pythonw.exe started from Explorer gets; under Wine a pythonw.exe started with
pipes would inherit them). The child fetches https://HOST/ with requests (through HTTPS_PROXY)
and writes what happened to OUT_JSON: no standard stream exists to report on.
"""

import json
import os
import subprocess
import sys
import traceback

out, mode, host = sys.argv[1], sys.argv[2], sys.argv[3]
if os.path.basename(sys.executable).lower() != "pythonw.exe":
    pythonw = os.path.join(os.path.dirname(sys.executable), "pythonw.exe")
    code = subprocess.run(
        [pythonw, __file__, *sys.argv[1:]], close_fds=True, creationflags=subprocess.DETACHED_PROCESS, timeout=120
    ).returncode
    sys.exit(code)

result = {"stdout_is_none": sys.stdout is None, "stderr_is_none": sys.stderr is None}
try:
    if mode == "inject":
        import corptls

        corptls.inject()
    import requests

    requests.get(f"https://{host}/", timeout=15).raise_for_status()
    result["fetch"] = "ok"
except BaseException:  # everything, KeyboardInterrupt and SystemExit included: the test judges
    result["fetch"] = traceback.format_exc()
result["injected"] = bool(sys.modules.get("corptls") and sys.modules["corptls"].is_injected())
with open(out, "w", encoding="utf-8") as f:
    json.dump(result, f)
