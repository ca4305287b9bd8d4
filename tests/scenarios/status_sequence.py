"""corptls.status() before inject(), while injected (requests imported), and after extract()."""

import json

import corptls

seen = [corptls.status()]
corptls.inject()
import requests  # noqa: F401

seen.append(corptls.status())
corptls.extract()
seen.append(corptls.status())
print(
    json.dumps(
        {
            "typed": all(isinstance(s, corptls.Status) for s in seen),
            "path": corptls.bundle_path(),
            "seen": [[s.injected, s.autoloaded, list(s.patches), s.bundle, s.state] for s in seen],
        }
    )
)
