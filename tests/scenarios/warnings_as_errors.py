"""Under warnings.simplefilter("error") a problem corptls reports (the test sets one up) never
reaches the program: inject() and a GET still work.

    warnings_as_errors.py GOOD_URL
"""

import json
import sys
import warnings

warnings.simplefilter("error")
from kit import get

import corptls

corptls.inject()
print(json.dumps({"request": get(sys.argv[1])}))
