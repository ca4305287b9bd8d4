"""What corptls did, for whoever debugs it: ``logging.getLogger("corptls")`` at DEBUG.

Silent by default: DEBUG is below what ``logging`` shows unconfigured. ``logging`` is never
imported here (autoload runs at start-up, which must not pay for it): a record is made only once
the program has imported ``logging`` itself; before that, no handler exists to take it.
"""

import sys


def enabled() -> bool:
    """Would a DEBUG record be handled? For records that cost something to prepare."""
    logging = sys.modules.get("logging")
    try:
        return logging is not None and logging.getLogger("corptls").isEnabledFor(logging.DEBUG)
    except Exception:  # a half-imported or replaced logging: a record is never worth an error
        return False


def debug(message: str, *args: object) -> None:
    """A DEBUG record on the "corptls" logger, %-formatted by logging; never raises."""
    if enabled():
        try:
            sys.modules["logging"].getLogger("corptls").debug(message, *args)
        except Exception:
            pass
