"""The "corptls" logger's records over inject(), a patch that raises (botocore's), a context with
the program's own CA, a CERT_NONE context and extract(): one "LEVEL message" string each.

    debug_records.py CA_PEM     the program's own CA
"""

import json
import logging
import ssl
import sys

records: list[str] = []


class Keep(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        records.append(f"{record.levelname} {record.getMessage()}")


logging.getLogger("corptls").addHandler(Keep())
logging.getLogger("corptls").setLevel(logging.DEBUG)
import corptls
import corptls.clients.botocore as boto

boto.apply = lambda module, undo: 1 / 0  # a patch that raises: botocore stays stock
corptls.inject()
import botocore.httpsession  # noqa: F401
import requests  # noqa: F401

with open(sys.argv[1]) as f:
    ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata=f.read())  # the program's own CA
none = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
none.check_hostname = False
none.verify_mode = ssl.CERT_NONE
none.set_default_verify_paths()
corptls.extract()
print(json.dumps(records))
