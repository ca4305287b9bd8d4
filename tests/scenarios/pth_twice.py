"""The site-packages .pth files run twice more (site already runs a venv's twice at start-up):
still one corptls finder, and ssl patched once (the patch wraps the C method itself).

    pth_twice.py HOST     one GET of https://HOST/ first
"""

import json
import site
import sys
import sysconfig
import urllib.request

site.addsitedir(sysconfig.get_path("purelib"))  # every .pth of site-packages runs again
site.addsitedir(sysconfig.get_path("purelib"))
finders = [f for f in sys.meta_path if type(f).__module__ == "corptls._hooks"]
urllib.request.urlopen(f"https://{sys.argv[1]}/", timeout=15).read()
import ssl

import corptls

patched = ssl.SSLContext.set_default_verify_paths
wrapped = [
    type(c.cell_contents).__name__
    for c in patched.__closure__ or ()  # type: ignore[attr-defined]
    if getattr(c.cell_contents, "__name__", "") == "set_default_verify_paths"
]
out = {"finders": len(finders), "injected": corptls.is_injected(), "patch": patched.__module__, "wraps": wrapped}
print(json.dumps(out))
