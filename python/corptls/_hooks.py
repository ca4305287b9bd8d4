"""Run a callback when a module is imported, or now if it already is.

A finder at the front of ``sys.meta_path`` wraps the loader of watched modules only;
every other import costs one dictionary lookup. Nothing here imports ``ssl``.
"""

from __future__ import annotations

import sys
from types import ModuleType
TYPE_CHECKING = False  # not `typing`: its import costs ~15 ms, start-up must not pay it
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Optional, Sequence

    Callback = Callable[[ModuleType], None]
_watched: Dict[str, Callback] = {}


class _Finder:
    """Finds nothing itself: asks the finders behind it, then wraps the loader."""

    def find_spec(self, fullname: str, path: Optional[Sequence[str]], target: Any = None) -> Any:
        callback = _watched.get(fullname)
        if callback is None:
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec = find(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is not None and hasattr(loader, "exec_module"):
            spec.loader = _Loader(loader, callback)
        return spec


class _Loader:
    """Delegates to the real loader; calls back once the module has run."""

    def __init__(self, inner: Any, callback: Callback) -> None:
        self._inner = inner
        self._callback = callback

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def create_module(self, spec: Any) -> Any:
        return self._inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        # Leave the module's loader as it would have been, for importlib.resources and friends.
        module.__loader__ = self._inner
        if module.__spec__ is not None:
            module.__spec__.loader = self._inner
        self._inner.exec_module(module)
        if _watched.get(module.__name__) is self._callback:
            forget(module.__name__)
            self._callback(module)


_finder = _Finder()


def when_imported(name: str, callback: Callback) -> None:
    """Call ``callback(module)`` now if ``name`` is imported, else right after its import."""
    module = sys.modules.get(name)
    if module is not None:
        callback(module)
        return
    _watched[name] = callback
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)


def forget(name: str) -> None:
    _watched.pop(name, None)
    if not _watched and _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
