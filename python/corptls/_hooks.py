"""Run a callback when a module is imported, or now if it already is.

A finder at the front of ``sys.meta_path`` wraps the loader of watched modules only;
every other import costs one dictionary lookup. Imported at interpreter start-up by
autoload, so it imports nothing itself (not even ``__future__``).
"""

import sys

TYPE_CHECKING = False  # not `typing`: its import costs ~15 ms, start-up must not pay it
if TYPE_CHECKING:
    from types import ModuleType
    from typing import Any, Callable, Dict, Optional, Sequence, Set

    Callback = Callable[[ModuleType], None]
_watched: "Dict[str, Callback]" = {}
# Modules whose code has run under our loader: importlib still flags them as initialising
# until its own bookkeeping ends, but they are complete.
_executed: "Set[str]" = set()


class _Finder:
    """Finds nothing itself: asks the finders behind it, then wraps the loader."""

    def find_spec(self, fullname: str, path: "Optional[Sequence[str]]", target: "Any" = None) -> "Any":
        if fullname not in _watched:
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
        if spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _Loader(spec.loader)
        return spec


class _Loader:
    """Delegates to the real loader; once the module has run, calls whoever watches it then."""

    def __init__(self, inner: "Any") -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> "Any":
        return getattr(self._inner, name)

    def create_module(self, spec: "Any") -> "Any":
        return self._inner.create_module(spec)

    def exec_module(self, module: "ModuleType") -> None:
        # Leave the module's loader as it would have been, for importlib.resources and friends.
        module.__loader__ = self._inner
        if module.__spec__ is not None:
            module.__spec__.loader = self._inner
        self._inner.exec_module(module)
        _executed.add(module.__name__)
        # Looked up now, not when the import began: the watcher may have changed meanwhile
        # (autoload hands its watchers over to inject() while a library is still importing).
        callback = _watched.get(module.__name__)
        if callback is not None:
            forget(module.__name__)
            callback(module)


_finder = _Finder()


def find_spec(name: str, path: "Any", target: "Any" = None) -> "Any":
    """The spec of a watched module, found by the finders behind ours, its loader wrapped."""
    return _finder.find_spec(name, path, target)


def when_imported(name: str, callback: "Callback") -> None:
    """Call ``callback(module)`` now if ``name`` is imported, else right after its import
    (also when its import is under way: a half-made module is not patched)."""
    module = sys.modules.get(name)
    spec = getattr(module, "__spec__", None)
    if module is not None and (name in _executed or not getattr(spec, "_initializing", False)):
        callback(module)
        return
    _watched[name] = callback
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)


def forget(name: str) -> None:
    # The finder stays: removing it from sys.meta_path while another thread's import walks
    # that list could make the walk skip a finder. When idle it costs one dict lookup.
    _watched.pop(name, None)
