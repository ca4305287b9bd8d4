"""``python -m corptls``: what corptls sees — roots per source, problems, the bundle file."""

from __future__ import annotations

import sys
import warnings
from collections import Counter

import corptls


def main() -> int:
    with warnings.catch_warnings(record=True) as problems:
        warnings.simplefilter("always", corptls.CorptlsWarning)
        roots = corptls.roots()
        path = corptls.bundle_path()
    per_source = Counter(source for root in roots for source in root.sources)
    print(f"corptls {corptls.__version__}: {len(roots)} trusted roots")
    for source, count in per_source.most_common():
        print(f"  {count:4d}  {source}")
    print(f"bundle: {path or 'in memory only (no safe cache directory)'}")
    for problem in problems:
        print(f"problem: {problem.message}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
