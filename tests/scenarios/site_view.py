"""What an environment's interpreter sees: where corptls would be imported from (None: nowhere),
where certifi comes from, and which corptls modules start-up loaded."""

import importlib.util
import json
import sys

import aiohttp  # noqa: F401  (the client libraries are importable)
import certifi
import httpx  # noqa: F401
import requests  # noqa: F401

spec = importlib.util.find_spec("corptls")
loaded = sorted(m for m in sys.modules if m.startswith("corptls"))
print(json.dumps({"corptls": spec.origin if spec else None, "certifi": certifi.__file__, "loaded": loaded}))
