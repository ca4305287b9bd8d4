"""Under CORPTLS_AUTOLOAD=1: `import requests` imports ssl half-way through requests' own import,
so the requests patch must wait for requests to finish, or extract() would have nothing to restore.
Prints whether requests was patched, and whether extract() restored it."""

import json

import requests

import corptls

during = requests.utils.DEFAULT_CA_BUNDLE_PATH == corptls.bundle_path()
corptls.extract()
import certifi

restored = requests.utils.DEFAULT_CA_BUNDLE_PATH == requests.adapters.DEFAULT_CA_BUNDLE_PATH == certifi.where()
print(json.dumps({"during": during, "restored": restored}))
