"""inject(export_env=True) with the bundle in memory only (the test makes the cache directory
unsafe): the environment stays as it was, and the warnings say why."""

import json
import os

from kit import record_warnings

import corptls

before = dict(os.environ)
warned = record_warnings()
corptls.inject(export_env=True)
print(json.dumps({"same": dict(os.environ) == before, "warnings": [str(w.message) for w in warned]}))
