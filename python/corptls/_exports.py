"""Environment settings that point other tools (curl, git, Node.js, uv, ...) at the bundle file.

``variables(path)`` says what to set, ``render(shell, path)`` writes it for a shell, and
``export(path, undo)`` sets it in ``os.environ`` for child processes, recording how to undo it.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not `typing`: its import costs ~15 ms, start-up must not pay it
if TYPE_CHECKING:
    from typing import Callable, Dict, List, Mapping, Optional, Tuple

    from ._undo import Undo

#: Variables set to the bundle's path, each with the tools that read it.
PATH_VARIABLES: Tuple[Tuple[str, str], ...] = (
    ("SSL_CERT_FILE", "OpenSSL's default file: Python's ssl, uv, Go, Ruby, ..."),
    ("REQUESTS_CA_BUNDLE", "requests"),
    ("CURL_CA_BUNDLE", "curl"),
    ("NODE_EXTRA_CA_CERTS", "Node.js (added to its own roots)"),
    ("CODEX_CA_CERTIFICATE", "the Codex CLI (before SSL_CERT_FILE)"),
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

# Shells whose syntax `bash` (or `fish`) output serves, as $SHELL names them (on Windows: Git Bash,
# MSYS2 and Cygwin set SHELL; neither cmd nor PowerShell does).
_POSIX_SHELLS = ("bash", "zsh", "sh", "dash", "ksh", "fish")


def variables(path: str) -> Dict[str, str]:
    """Every variable to set, in order, for the bundle file ``path``."""
    result = {name: path for name, _ in PATH_VARIABLES}
    result.update(SWITCHES)
    return result


def line(shell: str, name: str, value: str) -> str:
    """One assignment for ``shell``, quoted so that the value arrives verbatim.

    Raises ValueError for a value the shell cannot carry (cmd: ``"``, ``%``, ``!``, control and
    non-ASCII characters).
    """
    if "\0" in value:
        raise ValueError(f"{name}: a value cannot hold a NUL character")
    if shell in ("bash", "zsh"):
        return "export {}='{}'".format(name, value.replace("'", "'\\''"))
    if shell == "fish":
        return "set -gx {} '{}'".format(name, value.replace("\\", "\\\\").replace("'", "\\'"))
    if shell == "powershell":
        return f"$env:{name} = {powershell_string(value)}"
    if shell == "cmd":
        # Inside `set "NAME=VALUE"` the quotes make & | < > ^ literal, but cmd still expands %...%
        # (and !...! under delayed expansion), and it reads a batch file in the console's code
        # page, which is not the one Python writes in: those cannot be carried.
        bad = sorted({c for c in value if c in '"%!' or not " " <= c <= "~"})
        if bad:
            raise ValueError(
                f"{name}: cmd cannot safely set a value holding {' '.join(map(repr, bad))}: {value!r}; "
                "use PowerShell (corptls env --shell powershell), or a path without them "
                "(CORPTLS_CACHE_DIR moves the bundle)"
            )
        return f'set "{name}={value}"'
    raise ValueError(f"unknown shell {shell!r}; known: {', '.join(SHELLS)}")


def powershell_string(value: str) -> str:
    """A PowerShell expression for ``value``, in printable ASCII only: single-quoted literals (a
    quote doubled; the typographic quotes PowerShell also takes for one never appear: they are
    not ASCII), every other character as ``[char]0xNNNN`` (per UTF-16 unit). So the line survives
    any code page: Python writes a pipe in the ANSI code page, PowerShell reads it in the OEM one,
    and a user name with an umlaut would otherwise arrive mangled."""
    parts: List[str] = []
    literal = ""
    units = value.encode("utf-16-le", "surrogatepass")
    for i in range(0, len(units), 2):
        unit = units[i] | units[i + 1] << 8
        if 0x20 <= unit <= 0x7E:
            literal += "''" if unit == 0x27 else chr(unit)
            continue
        if literal or not parts:
            parts.append(f"'{literal}'")
        literal = ""
        parts.append(f"[char]0x{unit:04X}")
    if literal or not parts:
        parts.append(f"'{literal}'")
    return " + ".join(parts)


def render(shell: str, path: str) -> str:
    """The lines that set every variable for ``path`` in ``shell``, newline-terminated."""
    return "".join(line(shell, name, value) + "\n" for name, value in variables(path).items())


def detect_shell(environ: Optional[Mapping[str, str]] = None, platform: Optional[str] = None) -> str:
    """The caller's likely shell: fish or bash from $SHELL; on Windows without a POSIX $SHELL,
    powershell or cmd.

    Windows defines PSModulePath for every process (``Program Files\\WindowsPowerShell\\Modules``,
    ``System32\\WindowsPowerShell\\v1.0\\Modules``, and whatever installers add). A running
    PowerShell puts directories of its own in front, which its children inherit: the user's
    ``Documents\\WindowsPowerShell\\Modules`` (5.1) or ``...\\PowerShell\\Modules`` (7). One of
    those means PowerShell. (So does a cmd started from PowerShell: ``--shell`` settles it. COMSPEC
    is always set, and a PowerShell started from cmd inherits PROMPT: neither tells them apart.)
    """
    env = os.environ if environ is None else environ
    shell = env.get("SHELL", "").replace("\\", "/").rsplit("/", 1)[-1].lower()
    shell = shell[:-4] if shell.endswith(".exe") else shell
    if (platform or sys.platform) == "win32" and shell not in _POSIX_SHELLS:
        return "powershell" if _started_by_powershell(env) else "cmd"
    return "fish" if shell == "fish" else "bash"


def _started_by_powershell(env: Mapping[str, str]) -> bool:
    """Does PSModulePath hold a module directory that only a running PowerShell adds? 5.1 adds the
    user's ``...\\WindowsPowerShell\\Modules`` (wherever Documents lives), 7 also its all-users
    ``%ProgramFiles%\\PowerShell\\Modules``. Installers' directories (``...\\Tools\\PowerShell\\Modules``
    of SQL Server, say) are neither."""

    def folder(name: str) -> str:
        return name.replace("/", "\\").rstrip("\\").lower()

    programs = {folder(env.get(name, "")) for name in ("ProgramFiles", "ProgramW6432")} | {
        "c:\\program files",
        "%programfiles%",
    }
    programs_x86 = programs | {folder(env.get("ProgramFiles(x86)", "")), "c:\\program files (x86)"}
    for entry in map(folder, env.get("PSModulePath", "").split(";")):
        base, _, tail = entry.rpartition("\\")
        base, _, middle = base.rpartition("\\")
        if tail != "modules" or not base:
            continue
        if middle == "windowspowershell" and base not in programs_x86:  # 5.1: the user's own
            return True
        if middle == "powershell" and base in programs:  # 7: its all-users directory
            return True
    return False


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
