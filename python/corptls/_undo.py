"""A record of every change a patch makes, so that extract() restores each object exactly."""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not `typing`: its import costs ~15 ms, start-up must not pay it
if TYPE_CHECKING:
    from typing import Any, Callable, List, Optional

_MISSING = object()


class Undo:
    """Changes made by one patch, reverted last-first."""

    def __init__(self) -> None:
        self._steps: List[Callable[[], None]] = []

    def setattr(self, obj: Any, name: str, value: Any, rebuild: Optional[Callable[[], Any]] = None) -> None:
        """Set ``obj.name``; on revert put back the original, or ``rebuild()``'s value when given
        (for objects that were created while injected and so already hold the bundle)."""
        original = vars(obj).get(name, _MISSING)

        def restore() -> None:
            if rebuild is not None:
                setattr(obj, name, rebuild())
            elif original is _MISSING:
                delattr(obj, name)
            else:
                setattr(obj, name, original)

        setattr(obj, name, value)
        self._steps.append(restore)

    def rebind(self, package: str, name: str, original: Any, value: Any) -> None:
        """``setattr`` in every loaded module of ``package`` whose ``name`` is ``original``: a
        function imported by name (``from ._ssl import default_ssl_context``) lives on in each importer."""
        for module_name, module in list(sys.modules.items()):
            if (module_name == package or module_name.startswith(package + ".")) and getattr(
                module, "__dict__", {}
            ).get(name) is original:
                self.setattr(module, name, value)

    def call(self, action: Callable[[], None]) -> None:
        """Run ``action`` on revert."""
        self._steps.append(action)

    def revert(self) -> None:
        while self._steps:
            self._steps.pop()()
