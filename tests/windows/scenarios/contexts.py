"""Runs in the Windows CPython: what a context widened by corptls parses up front (nothing of the
bundle: it gets corptls's hashed directory, read lazily), against a stock one.

contexts.py  ->  {"stock": n, "capath": str, "files": n, "roots": n, "up_front": n}
"""

import json
import os
import ssl

stock = len(ssl.create_default_context().get_ca_certs())  # CPython loads the ROOT and CA stores
import corptls  # noqa: E402

corptls.inject()
bundle = corptls._bundle.collected()
roots = corptls.roots()
held = {r.der for r in roots} | {r.twin for r in roots if r.twin}
context = ssl.create_default_context()
print(
    json.dumps(
        {
            "stock": stock,
            "capath": bundle.capath,
            "files": len(os.listdir(bundle.capath)) if bundle.capath else None,
            "roots": len(roots),
            # Only the CA store's intermediates, which the bundle does not hold, are loaded up front.
            "up_front": sum(1 for der in context.get_ca_certs(binary_form=True) if der in held),
        }
    )
)
