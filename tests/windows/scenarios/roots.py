"""Runs in the Windows CPython: which sources corptls found each given root in.

roots.py SHA256...  ->  {"sources": {sha256: [source, ...] | null}, "counts": {source: n}, "problems": [...]}
"""

import json
import sys
import warnings

import corptls

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    roots = corptls.roots()
by_sha = {r.sha256.lower(): list(r.sources) for r in roots}
counts = {}
for root in roots:
    for source in root.sources:
        counts[source] = counts.get(source, 0) + 1
print(
    json.dumps(
        {
            "sources": {sha: by_sha.get(sha.lower()) for sha in sys.argv[1:]},
            "counts": counts,
            "problems": [str(w.message) for w in caught],
        }
    )
)
