"""corptls: make Python's HTTPS clients trust the operating system's certificate store.

Verification stays on: only default trust (certifi's bundle, OpenSSL's default
paths) is widened with the OS roots. ``import corptls`` loads nothing else: the API
is imported on first access, and the OS store is read on first use.
"""

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._api import bundle_path, extract, inject, is_injected, roots, verify_chain
    from ._native import VerificationError
    from ._status import Status, status
    from ._warnings import CorptlsWarning

    __version__: str

__all__ = [
    "CorptlsWarning",
    "Status",
    "VerificationError",
    "bundle_path",
    "extract",
    "inject",
    "is_injected",
    "roots",
    "status",
    "verify_chain",
]


def __getattr__(name: str) -> object:
    if name == "__version__":  # Cargo.toml's, through the native module: one version source
        from ._native import __version__

        return __version__
    if name == "CorptlsWarning":
        from ._warnings import CorptlsWarning

        return CorptlsWarning
    if name == "VerificationError":
        from ._native import VerificationError

        return VerificationError
    if name in ("Status", "status"):
        from . import _status

        return getattr(_status, name)
    if name in __all__:
        from . import _api

        return getattr(_api, name)
    raise AttributeError(f"module 'corptls' has no attribute {name!r}")
