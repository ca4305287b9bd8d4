"""What corptls did, for whoever debugs it: ``logging.getLogger("corptls")`` at DEBUG.

Silent by default: DEBUG is below what ``logging`` shows unconfigured. ``logging`` is never
imported here (autoload runs at start-up, which must not pay for it): a record is made only once
the program has imported ``logging`` itself; before that, no handler exists to take it.
"""

import sys


def debug(message: str, *args: object) -> None:
    """A DEBUG record on the "corptls" logger, %-formatted by logging; never raises."""
    logging = sys.modules.get("logging")
    if logging is None:
        return
    try:
        logger = logging.getLogger("corptls")
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(message, *args)
    except Exception:  # a half-imported or replaced logging: a record is never worth an error
        pass
