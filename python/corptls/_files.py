"""Replacing a file atomically: whoever reads it meanwhile sees the old content or the new, never half."""

from __future__ import annotations

import os
import sys
import tempfile
import time

TYPE_CHECKING = False  # not `typing`: its import costs ~15 ms
if TYPE_CHECKING:
    from typing import Optional

# Windows refuses to replace a file that another process holds open without FILE_SHARE_DELETE
# (every Python open(), a virus scanner): a Python starting up reads a .pth for a moment.
_WINDOWS = sys.platform == "win32"
_RETRIES = 20
_PAUSE = 0.05


def write_atomically(path: str, data: bytes, mode: Optional[int] = 0o644) -> None:
    """Write ``data`` to ``path`` through a new temporary file in the same directory, then
    ``os.replace``. The temporary file comes from ``mkstemp``: an unpredictable name, created
    exclusively, so a planted file or symlink is never written through. ``mode`` gives the
    permission bits whatever the umask; None keeps those of the file replaced (0644 for a new one).
    """
    directory = os.path.dirname(os.path.abspath(path))
    if mode is None:
        try:
            mode = os.stat(path).st_mode & 0o7777
        except OSError:
            mode = 0o644
    # No leading dot: Wine marks such a file hidden, the mark survives the rename, and site skips
    # a hidden .pth.
    fd, tmp = tempfile.mkstemp(prefix=f"{os.path.basename(path)}.corptls-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        _replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _replace(src: str, dst: str) -> None:
    for attempt in range(_RETRIES):
        try:
            os.replace(src, dst)
            return
        except PermissionError:
            if not _WINDOWS or attempt == _RETRIES - 1:
                raise
            time.sleep(_PAUSE)
