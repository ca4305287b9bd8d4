"""inject(extra_cas=[EXTRA]), then `import corptls.auto` (inject() again, without extra_cas):
prints how many roots still come from the extra CAs.

    extra_cas_kept.py EXTRA_PEM
"""

import json
import sys

import corptls

corptls.inject(extra_cas=[sys.argv[1]])
import corptls.auto  # noqa: F401

print(json.dumps({"extra": sum("extra" in r.sources for r in corptls.roots())}))
