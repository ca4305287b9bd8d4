"""Environment settings that point other tools (curl, git, Node.js, uv, ...) at the bundle file.

``variables(path)`` says what to set, ``render(shell, path)`` writes it for a shell, and
``export(path, undo)`` sets it in ``os.environ`` for child processes, recording how to undo it.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not `typing`: its import costs ~15 ms, start-up must not pay it
if TYPE_CHECKING:
    from typing import Callable, Dict, Mapping, Optional, Tuple

    from ._undo import Undo

#: Variables set to the bundle's path, each with the tools that read it.
PATH_VARIABLES: Tuple[Tuple[str, str], ...] = (
    ("SSL_CERT_FILE", "OpenSSL's default file: Python's ssl, uv, Go, Ruby, ..."),
    ("REQUESTS_CA_BUNDLE", "requests"),
    ("CURL_CA_BUNDLE", "curl"),
    ("NODE_EXTRA_CA_CERTS", "Node.js (added to its own roots)"),
    ("GIT_SSL_CAINFO", "git"),
    ("AWS_CA_BUNDLE", "AWS CLI, boto3/botocore"),
    ("PIP_CERT", "pip (--cert)"),
    ("HTTPLIB2_CA_CERTS", "httplib2"),
    ("GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", "gRPC"),
    ("CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE", "gcloud (core/custom_ca_certs_file)"),
    ("DENO_CERT", "Deno"),
)

#: Switches with a fixed value. uv >= 0.11 reads UV_SYSTEM_CERTS (UV_NATIVE_TLS is its
#: deprecated name, which warns on every run); SSL_CERT_FILE above already serves older uv.
SWITCHES: Tuple[Tuple[str, str], ...] = (("UV_SYSTEM_CERTS", "true"),)

SHELLS: Tuple[str, ...] = ("bash", "zsh", "fish", "powershell", "cmd")

# PowerShell treats the typographic single quotes as quotes too; each is escaped by doubling.
_PS_QUOTES = "'\u2018\u2019\u201a\u201b"


def variables(path: str) -> Dict[str, str]:
    """Every variable to set, in order, for the bundle file ``path``."""
    result = {name: path for name, _ in PATH_VARIABLES}
    result.update(SWITCHES)
    return result


def line(shell: str, name: str, value: str) -> str:
    """One assignment for ``shell``, quoted so that the value arrives verbatim.

    Raises ValueError for a value the shell cannot carry (cmd: ``"``, ``%``, line breaks).
    """
    if "\0" in value:
        raise ValueError(f"{name}: a value cannot hold a NUL character")
    if shell in ("bash", "zsh"):
        return "export {}='{}'".format(name, value.replace("'", "'\\''"))
    if shell == "fish":
        return "set -gx {} '{}'".format(name, value.replace("\\", "\\\\").replace("'", "\\'"))
    if shell == "powershell":
        quoted = "".join(c * 2 if c in _PS_QUOTES else c for c in value)
        return f"$env:{name} = '{quoted}'"
    if shell == "cmd":
        bad = sorted({c for c in value if c in '"%\r\n'})
        if bad:
            raise ValueError(f"{name}: cmd cannot safely set a value holding {' '.join(map(repr, bad))}: {value!r}; "
                             "use PowerShell, or a path without them")
        return f'set "{name}={value}"'
    raise ValueError(f"unknown shell {shell!r}; known: {', '.join(SHELLS)}")


def render(shell: str, path: str) -> str:
    """The lines that set every variable for ``path`` in ``shell``, newline-terminated."""
    return "".join(line(shell, name, value) + "\n" for name, value in variables(path).items())


def detect_shell(environ: Optional[Mapping[str, str]] = None, platform: Optional[str] = None) -> str:
    """The caller's likely shell: on Windows powershell or cmd, elsewhere fish or bash (from $SHELL).

    Windows defines PSModulePath for cmd too (two system entries); PowerShell adds its own at
    start-up, so three or more entries mean PowerShell.
    """
    env = os.environ if environ is None else environ
    if (platform or sys.platform) == "win32":
        entries = [e for e in env.get("PSModulePath", "").split(";") if e]
        return "powershell" if len(entries) >= 3 else "cmd"
    return "fish" if os.path.basename(env.get("SHELL", "")) == "fish" else "bash"


def export(path: str, undo: Undo) -> None:
    """Set every variable in ``os.environ``; ``undo.revert()`` restores each previous value or absence."""
    for name, value in variables(path).items():
        previous = os.environ.get(name)
        if previous != value:
            undo.call(_restorer(name, previous))
            os.environ[name] = value


def _restorer(name: str, previous: Optional[str]) -> Callable[[], None]:
    def restore() -> None:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous

    return restore
