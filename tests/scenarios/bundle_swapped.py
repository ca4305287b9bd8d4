"""Someone swaps the bundle file for a rogue root after inject(): in this process requests, httpx
and urllib still trust exactly the roots in memory; after extract() the file is just a file.

    bundle_swapped.py symlink|rename|rewrite ROGUE_PEM GOOD_URL ROGUE_URL
      symlink   the file replaced by a symlink to ROGUE_PEM
      rename    the file replaced by a rename of a new file holding it
      rewrite   the same file (device and inode) under another name, its content rewritten in place
"""

import json
import os
import ssl
import sys
import urllib.request
from typing import Callable

import certifi
import httpx
import requests
from kit import get
from probe import outcome

import corptls

swap, rogue_pem, good, rogue = sys.argv[1:]
corptls.inject()
path = corptls.bundle_path()
assert path is not None
with open(rogue_pem) as f:
    rogue_text = f.read()
name = path
if swap == "symlink":
    os.remove(path)
    os.symlink(rogue_pem, path)
elif swap == "rename":
    with open(path + ".new", "w") as f:
        f.write(rogue_text)
    os.replace(path + ".new", path)
else:
    name = path + ".link"
    os.link(path, name)
    with open(path, "r+") as f:
        f.truncate()
        f.write(rogue_text)
with open(name) as f:
    out: dict[str, object] = {"swapped": f.read() == rogue_text and certifi.where() == path}
default = name == path  # the clients' own default path, or the caller names the file
fetch: dict[str, Callable[[str], object]] = {
    "requests": lambda url: requests.get(url, verify=True if default else name, timeout=10).raise_for_status(),
    "httpx": lambda url: httpx.get(
        url, timeout=10, **({} if default else {"verify": ssl.create_default_context(cafile=name)})
    ).raise_for_status(),
    "urllib": lambda url: urllib.request.urlopen(
        url, context=ssl.create_default_context(cafile=name), timeout=10
    ).read(),
}
out["clients"] = {c: {"good": outcome(f, good), "rogue": outcome(f, rogue)} for c, f in fetch.items()}
corptls.extract()
out["extracted"] = get(rogue, ssl.create_default_context(cafile=name))
print(json.dumps(out))
