"""What corptls.status() says after a program's first default context, and whether anything had
imported logging by then (autoload and inject() must not). Imports nothing else on purpose."""

import json
import ssl
import sys

ssl.create_default_context().load_default_certs()
loaded = "logging" in sys.modules
import corptls

print(json.dumps({"logging": loaded, "status": corptls.status().__dict__}))
