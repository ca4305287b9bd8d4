"""The start-up hook's files in a site directory: where they are, the marked block it takes in
sitecustomize.py, and their state (``corptls autoload status``, doctor's autoload lines).
``_switch`` writes them; this module only reads, so a report needs no command of its own."""

from __future__ import annotations

import os
import site
import sysconfig
from typing import List

from ._autoload import PTH_NAME, pth_text

BEGIN = "# >>> corptls autoload (managed by `corptls autoload`; `disable --sitecustomize` removes it) >>>\n"
END = "# <<< corptls autoload <<<\n"


def site_dir(user: bool) -> str:
    """Where the hook lives: the user site, or this interpreter's site-packages (purelib)."""
    return site.getusersitepackages() if user else sysconfig.get_path("purelib")


def status(user: bool) -> List[str]:
    directory = site_dir(user)
    pth = os.path.join(directory, PTH_NAME)
    custom = os.path.join(directory, "sitecustomize.py")
    text = read(pth).replace("\r\n", "\n")
    state = "enabled" if text == pth_text(True) else "disabled" if text else "not installed"
    lines = [
        f"site directory: {directory}" + (" (user site)" if user else ""),
        f"hook: {pth}: {state}",
        f"sitecustomize: {custom}: {'block present' if BEGIN in read(custom) else 'no corptls block'}",
    ]
    for name in ("CORPTLS_AUTOLOAD", "CORPTLS_DISABLE", "CORPTLS_QUIET"):
        if name in os.environ:
            lines.append(f"{name}={os.environ[name]}")
    return lines


def read(path: str) -> str:
    """The file as it is: line endings kept, bytes that are not UTF-8 carried through unchanged."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape", newline="") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def without_block(text: str) -> str:
    """``text`` without corptls's block (to its end marker, or to the end when that is missing)."""
    start = text.find(BEGIN)
    if start < 0:
        return text
    end = text.find(END, start)
    return text[:start] + (text[end + len(END) :] if end >= 0 else "")
