"""extract() restores every object inject() patched, exactly; prints the names inject() changed."""

import json
import ssl

import aiohttp.connector
import botocore.httpsession
import certifi
import certifi.core
import requests
from kit import has_corp

import corptls


def snapshot() -> dict[str, object]:
    return {
        **{
            f"SSLContext.{n}": vars(ssl.SSLContext).get(n, "absent")
            for n in ("set_default_verify_paths", "load_verify_locations", "wrap_socket", "wrap_bio")
        },
        "certifi.where": certifi.where,
        "certifi.contents": certifi.contents,
        "certifi.core.where": certifi.core.where,
        "requests.utils": requests.utils.DEFAULT_CA_BUNDLE_PATH,
        "requests.adapters": requests.adapters.DEFAULT_CA_BUNDLE_PATH,
        "aiohttp": aiohttp.connector._SSL_CONTEXT_VERIFIED,
        "botocore": botocore.httpsession.where,
    }


before = snapshot()
corptls.inject()
during = snapshot()
changed = [k for k in before if during[k] is not before[k] and during[k] != before[k]]
assert corptls.is_injected()
assert has_corp(aiohttp.connector._SSL_CONTEXT_VERIFIED)
corptls.extract()
after = snapshot()
assert not corptls.is_injected()
differs = [k for k in before if after[k] is not before[k] and after[k] != before[k]]
assert not differs, differs
# The import finder stays in sys.meta_path (removing it could upset another thread's import),
# watching nothing.
assert not corptls._hooks._watched
assert not has_corp(ssl.create_default_context())
print(json.dumps({"changed": sorted(changed)}))
