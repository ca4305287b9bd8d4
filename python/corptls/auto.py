"""``import corptls.auto``: inject() at import, a one-line opt-in for scripts."""

from ._api import inject

inject()
