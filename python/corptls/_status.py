"""``corptls.status()``: what corptls does in this interpreter, without reading the store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

from . import _api, _bundle


@dataclass(frozen=True)
class Status:
    injected: bool  #: inject() is in effect: patched code widens default trust
    autoloaded: bool  #: the start-up hook started corptls here (``corptls autoload``, CORPTLS_AUTOLOAD=1)
    patches: Tuple[str, ...]  #: the modules patched now, e.g. ("ssl", "certifi", "requests")
    bundle: Optional[str]  #: the bundle file handed out; None when not injected, not collected yet, in memory only
    state: str  #: the bundle's state: "unset" (not collected yet), "ready" or "failed"
    reason: str  #: why, when failed


def status() -> Status:
    state, reason = _bundle.state()
    collected = _bundle.collected()
    injected = _bundle.injected()
    return Status(
        injected=injected,
        autoloaded=_api.autoloaded(),
        patches=_api.active_patches(),
        bundle=collected.path if injected and collected is not None else None,
        state=state,
        reason=reason,
    )
