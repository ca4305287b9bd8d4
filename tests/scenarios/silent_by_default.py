"""Without a handler of the program's, corptls logs nowhere: prints the "corptls" logger's handlers."""

import json
import logging
import ssl

import corptls

corptls.inject()
import requests  # noqa: F401

ssl.create_default_context()
print(json.dumps({"handlers": logging.getLogger("corptls").handlers, "injected": corptls.is_injected()}))
