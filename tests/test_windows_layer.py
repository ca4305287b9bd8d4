"""Windows behaviour of the Python layer, proved on Linux where it can be.

- ``load_default_certs``: on Windows stock loads the CA and ROOT system stores itself; with
  corptls active, the bundle stands for ROOT (the Rust core reads it, less Disallowed), so no
  root is parsed twice, a Disallowed certificate is not trusted, and the CA store's
  intermediates still are. Linux has no ``ssl.enum_certificates``: the scenario stands in for Windows with
  store contents of its own and ``windows_stores``, the one platform decision of the patch.
  The Wine lane runs the same on real Windows CPython.
- No stderr (``pythonw.exe``; fd 2 closed at start-up): no corptls report may ever raise.
- Shell output for PowerShell and cmd, shell detection, the atomic writes of ``_switch`` and
  ``corptls bundle``, path lists in doctor: pure functions, tested in-process.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import stat
import sys
from pathlib import Path

import pytest

from corptls import _autoload, _exports, _files, _switch, _warnings
from tests.support import venvs
from tests.support.harness import DirectServers, Scenario, Stores
from tests.support.pki import PKI
from tests.support.store import SCENARIOS, StoreNamespaceError

PACKAGE = Path(_autoload.__file__).resolve().parent
UNTRUSTED = "unable to get local issuer certificate"

# --------------------------------------------------------------------------- load_default_certs on "Windows"


def test_load_default_certs_on_windows_parses_no_root_twice_and_honours_disallowed(
    scenario: Scenario, stores: Stores, direct: DirectServers, pki: PKI
) -> None:
    done = scenario(
        "windows_stores",
        pki.corp_root_pem,
        pki.corp_intermediate_pem,
        pki.rogue_root_pem,
        pki.origin_root_pem,
        direct.good.url("localhost"),
        direct.rogue.url("localhost"),
        store=stores.corp,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = json.loads(done.stdout)
    assert out["stores_on_windows"] == ["CA", "ROOT"] and out["stores_here"] == []
    assert out["linux_patched"] is False  # on Linux load_default_certs stays stock, object and all
    # Stock Windows: the CA store, then the ROOT store (purpose-filtered), parsed in full.
    assert out["stock"] == ["intermediate", "corp", "public0", "public1", "public2", "rogue"]
    assert out["stock_client"] == ["intermediate", "corp", "other"]
    assert out["stock_good"] == "ok" and out["stock_rogue"] == "ok"  # its ROOT store holds the rogue root
    # The OS store (here /etc/ssl/certs) gave the bundle the corporate root, certifi the public ones.
    assert sorted(out["in_bundle"]) == ["corp", "public0", "public1", "public2"]
    assert out["patched"] == "corptls.clients.ssl"
    # Injected: the bundle stands for ROOT; from CA only what neither the bundle nor Disallowed holds.
    assert out["injected"] == ["intermediate"]
    assert out["parsed_twice"] == []
    assert out["lost"] == ["rogue"]  # what ROOT holds and the bundle lacks: on Windows, Disallowed's
    assert out["widened"] is True
    assert out["good"] == "ok" and UNTRUSTED in out["rogue"]
    assert out["default_context"] == ["intermediate"]  # create_default_context() goes through it
    assert out["disallowed"] == []  # an intermediate Windows distrusts is not loaded either
    assert out["client"] == ["intermediate", "corp", "other"]  # another purpose: stock's own loading
    assert out["cert_none"] == ["intermediate", "corp", "other"]  # CERT_NONE: stock exactly
    assert out["bad_purpose"] == "TypeError"
    assert out["denied"] == [] and out["denied_warnings"] == ["unable to enumerate Windows certificate store"]
    assert out["restored"] is True
    assert out["after"] == out["stock"]


# --------------------------------------------------------------------------- no stderr


# No corptls report may raise, under -W error too: the request works and the program goes on.
@pytest.mark.parametrize("warnings_flag", [[], ["-W", "error"]], ids=["default", "-W error"])
@pytest.mark.parametrize("how", ["fd 2 closed", "sys.stderr = None", "garbage CORPTLS_EXTRA_CA_CERTS, fd 2 closed"])
def test_no_stderr_never_breaks_a_report(
    how: str, warnings_flag: list[str], stores: Stores, direct: DirectServers, pki: PKI, tmp_path: Path
) -> None:
    closed = "fd 2 closed" in how
    program = [SCENARIOS / "no_stderr.py", direct.good.url("localhost"), "as-is" if closed else "none"]
    env = {"CORPTLS_EXTRA_CA_CERTS": str(pki.garbage_pem())} if "garbage" in how else None
    try:
        done = venvs.run(
            [sys.executable, *warnings_flag, *program, "/nonexistent/corp-ca.pem"],
            cache_dir=tmp_path,
            store=stores.corp,
            env=env,
            setup="exec 2>&-" if closed else "",
        )
    except StoreNamespaceError as exc:
        pytest.fail(str(exc), pytrace=False)
    assert done.returncode == 0 and done.stderr == "", done.stdout + done.stderr
    assert json.loads(done.stdout) == {"closed": closed, "stderr": "None", "request": "ok", "injected": True}


def test_say_and_warn_without_a_usable_stderr(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    class Broken:
        def write(self, text: str) -> int:
            raise OSError(9, "Bad file descriptor")

    closed = open(tmp_path / "closed.txt", "w")
    closed.close()
    for stderr in (None, Broken(), closed):
        monkeypatch.setattr(sys, "stderr", stderr)
        _warnings.say("corptls: a line")
        for one_line in (True, False):
            monkeypatch.setattr(_warnings, "one_line", one_line)
            with pytest.warns(_warnings.CorptlsWarning) if not one_line else contextlib.nullcontext():
                _warnings.warn("corptls: a problem")


def test_shipped_hook_is_the_generated_one() -> None:
    data = PACKAGE.parent / "corptls.data" / "purelib"
    pth = (data / _autoload.PTH_NAME).read_bytes()
    assert pth == _autoload.pth_text(False).encode("ascii")  # ASCII: site reads a .pth in the locale's encoding
    assert (data / _autoload.START_NAME).read_bytes() == _autoload.START_TEXT.encode("ascii")
    assert _autoload.pth_text(True).isascii() and "except Exception: pass" in _autoload.pth_text(True)


# --------------------------------------------------------------------------- shells

SYSTEM_PSMODULEPATH = r"C:\Program Files\WindowsPowerShell\Modules;C:\WINDOWS\system32\WindowsPowerShell\v1.0\Modules"
SQL_SERVER = r"C:\Program Files (x86)\Microsoft SQL Server\150\Tools\PowerShell\Modules" + "\\"
PWSH7 = (
    r"C:\Users\u\Documents\PowerShell\Modules;C:\Program Files\PowerShell\Modules;"
    r"c:\program files\powershell\7\Modules;" + SYSTEM_PSMODULEPATH
)
DETECT = {
    # name: (environment, platform, shell)
    "linux, fish": ({"SHELL": "/usr/bin/fish"}, "linux", "fish"),
    "macOS, zsh": ({"SHELL": "/bin/zsh"}, "darwin", "bash"),
    "linux, no SHELL": ({}, "linux", "bash"),
    "cmd": (
        {"PSModulePath": SYSTEM_PSMODULEPATH, "PROMPT": "$P$G", "ComSpec": r"C:\WINDOWS\system32\cmd.exe"},
        "win32",
        "cmd",
    ),
    "cmd, an installer's module directory": ({"PSModulePath": f"{SYSTEM_PSMODULEPATH};{SQL_SERVER}"}, "win32", "cmd"),
    "cmd, Program Files elsewhere": (
        {"PSModulePath": r"D:\Programs\WindowsPowerShell\Modules", "ProgramFiles": "D:\\Programs\\"},
        "win32",
        "cmd",
    ),
    "no PSModulePath at all": ({}, "win32", "cmd"),
    "Windows PowerShell 5.1": (
        {"PSModulePath": r"C:\Users\u\Documents\WindowsPowerShell\Modules;" + SYSTEM_PSMODULEPATH},
        "win32",
        "powershell",
    ),
    "5.1, Documents redirected to a share": (
        {
            "PSModulePath": r"\\files\home$\u\My Documents\WindowsPowerShell"
            r"\Modules;" + SYSTEM_PSMODULEPATH
        },
        "win32",
        "powershell",
    ),
    "PowerShell 7": ({"PSModulePath": PWSH7}, "win32", "powershell"),
    "PowerShell 7 started from cmd (PROMPT inherited)": (
        {"PSModulePath": PWSH7, "PROMPT": "$P$G"},
        "win32",
        "powershell",
    ),
    "Git Bash": (
        {"SHELL": "/usr/bin/bash", "MSYSTEM": "MINGW64", "PSModulePath": SYSTEM_PSMODULEPATH},
        "win32",
        "bash",
    ),
    "fish of MSYS2": ({"SHELL": r"C:\msys64\usr\bin\fish.exe"}, "win32", "fish"),
    "SHELL naming pwsh": (
        {"SHELL": r"C:\Program Files\PowerShell\7\pwsh.exe", "PSModulePath": SYSTEM_PSMODULEPATH},
        "win32",
        "cmd",
    ),
}


@pytest.mark.parametrize("case", list(DETECT))
def test_detect_shell(case: str) -> None:
    environ, platform, shell = DETECT[case]
    assert _exports.detect_shell(environ, platform) == shell


AWKWARD = r"C:\Users\Jürgen O'Brien\AppData\Local\corp & co ^ (x86) 100% !done $HOME `n\bundle.pem"


def test_powershell_lines_are_ascii_and_carry_every_character() -> None:
    assert (
        _exports.line("powershell", "V", r"C:\Users\u\AppData\Local\corptls\b.pem")
        == r"$env:V = 'C:\Users\u\AppData\Local\corptls\b.pem'"
    )
    assert _exports.line("powershell", "V", "O'Brien") == "$env:V = 'O''Brien'"
    # Outside a quote nothing is literal text: each non-ASCII character is a [char], even a quote-like one.
    assert _exports.powershell_string("a\u2019b") == "'a' + [char]0x2019 + 'b'"
    assert _exports.powershell_string("\u00fc") == "'' + [char]0x00FC"
    assert _exports.powershell_string("") == "''"
    assert _exports.powershell_string("x\U0001f600") == "'x' + [char]0xD83D + [char]0xDE00"
    assert _exports.powershell_string("a\nb") == "'a' + [char]0x000A + 'b'"
    line = _exports.line("powershell", "SSL_CERT_FILE", AWKWARD)
    assert line.isascii() and "\n" not in line
    assert line == (
        "$env:SSL_CERT_FILE = 'C:\\Users\\J' + [char]0x00FC + "
        "'rgen O''Brien\\AppData\\Local\\corp & co ^ (x86) 100% !done $HOME `n\\bundle.pem'"
    )
    assert _powershell_value(line.split(" = ", 1)[1]) == AWKWARD


def _powershell_value(expression: str) -> str:
    """Evaluate the only forms powershell_string writes: 'literal' and [char]0xNNNN joined by ' + '."""
    units = []
    rest = expression
    while rest:
        if rest.startswith("'"):
            end = 1
            while True:
                end = rest.index("'", end)
                if rest[end : end + 2] == "''":
                    end += 2
                    continue
                break
            units += list(rest[1:end].replace("''", "'").encode("utf-16-le"))
            rest = rest[end + 1 :]
        else:
            assert rest.startswith("[char]0x"), rest
            units += list(int(rest[8:12], 16).to_bytes(2, "little"))
            rest = rest[12:]
        if rest:
            assert rest.startswith(" + "), rest
            rest = rest[3:]
    return bytes(units).decode("utf-16-le", "surrogatepass")


def test_cmd_lines_and_what_cmd_cannot_carry() -> None:
    # Inside set "..." the quotes make & | < > ^ ( ) literal.
    path = r"C:\Program Files (x86)\corp & co ^ <x> | O'Brien\bundle.pem"
    assert _exports.line("cmd", "V", path) == f'set "V={path}"'
    for bad, shown in (
        ("100%", "'%'"),
        ("done!", "'!'"),
        ('x"y', "'\"'"),
        ("J\u00fcrgen", "'ü'"),
        ("a\rb", "'\\r'"),
        ("a\nb", "'\\n'"),
        ("a\tb", "'\\t'"),
    ):
        with pytest.raises(ValueError, match=re.escape(f"V: cmd cannot safely set a value holding {shown}:")) as caught:
            _exports.line("cmd", "V", bad)
        assert "--shell powershell" in str(caught.value) and "CORPTLS_CACHE_DIR" in str(caught.value)


def test_cmd_rejects_a_whole_render_with_one_clear_error() -> None:
    with pytest.raises(ValueError, match="SSL_CERT_FILE: cmd cannot safely set"):
        _exports.render("cmd", AWKWARD)
    assert _exports.render("powershell", AWKWARD).isascii()


# --------------------------------------------------------------------------- atomic writes


def test_switch_write_never_follows_a_planted_temporary_file(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    hook = tmp_path / _autoload.PTH_NAME
    # The name the old code wrote through, whatever the pid: planted as symlinks to the victim.
    for pid in {os.getpid(), os.getpid() + 1}:
        os.symlink(victim, f"{hook}.corptls-{pid}.tmp")
    _switch._write(str(hook), _autoload.pth_text(True))
    assert victim.read_text() == "precious\n"
    assert hook.read_bytes() == _autoload.pth_text(True).encode("ascii")
    assert sorted(p.name for p in tmp_path.iterdir() if not p.is_symlink()) == [_autoload.PTH_NAME, "victim.txt"]


def test_switch_write_keeps_mode_line_endings_and_foreign_bytes(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        new = tmp_path / "new.pth"
        _switch._write(str(new), "x\n")
        assert stat.S_IMODE(new.stat().st_mode) == 0o644  # others' Pythons read the hook, whatever the umask
        custom = tmp_path / "sitecustomize.py"
        user = b"# -*- coding: latin-1 -*-\r\nNAME = 'J\xfcrgen'\r\n"
        custom.write_bytes(user)
        custom.chmod(0o640)
        _switch._write(str(custom), _switch._read(str(custom)) + _switch.BEGIN + "pass\n" + _switch.END)
        assert stat.S_IMODE(custom.stat().st_mode) == 0o640
        text = custom.read_bytes()
        assert text.startswith(user) and text.endswith(b"pass\n# <<< corptls autoload <<<\n"), text
        _switch._write(str(custom), _switch._without_block(_switch._read(str(custom))))
        assert custom.read_bytes() == user
    finally:
        os.umask(old)


def test_switch_status_reads_a_hook_with_crlf_line_endings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_switch, "site_dir", lambda user: str(tmp_path))
    (tmp_path / _autoload.PTH_NAME).write_bytes(_autoload.pth_text(True).replace("\n", "\r\n").encode("ascii"))
    assert f"hook: {tmp_path / _autoload.PTH_NAME}: enabled" in _switch.status(False)


def test_replace_retries_while_windows_holds_the_file_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "corp-ca.pem"
    real = os.replace
    refusals = []

    def replace(src: str, dst: str) -> None:
        if len(refusals) < 3:
            refusals.append(dst)
            raise PermissionError(13, "The process cannot access the file because it is being used")
        real(src, dst)

    monkeypatch.setattr(_files.os, "replace", replace)
    monkeypatch.setattr(_files, "_PAUSE", 0)
    monkeypatch.setattr(_files, "_WINDOWS", False)
    with pytest.raises(PermissionError):  # elsewhere a refusal is final
        _files.write_atomically(str(target), b"pem")
    assert not target.exists() and list(tmp_path.iterdir()) == []  # no temporary file left behind
    refusals.clear()
    monkeypatch.setattr(_files, "_WINDOWS", True)
    _files.write_atomically(str(target), b"pem")
    assert target.read_bytes() == b"pem" and len(refusals) == 3
    assert [p.name for p in tmp_path.iterdir()] == ["corp-ca.pem"]


def test_one_atomic_write_helper() -> None:
    from corptls import _commands

    assert _commands.write_atomically is _files.write_atomically
    assert "mkstemp" not in (PACKAGE / "_switch.py").read_text() + (PACKAGE / "_commands.py").read_text()


# --------------------------------------------------------------------------- doctor: which variables are lists


def test_doctor_splits_only_path_lists(tmp_path: Path) -> None:
    from corptls import _policy

    odd = tmp_path / f"a{os.pathsep}b.pem"  # one file whose name holds the list separator
    odd.write_text("")
    present, missing = tmp_path / "present.pem", tmp_path / "missing"
    present.write_text("")
    env = {
        "SSL_CERT_FILE": str(odd),
        "REQUESTS_CA_BUNDLE": str(odd),
        "CORPTLS_EXTRA_CA_CERTS": f"{present}{os.pathsep}{missing}",
        "SSL_CERT_DIR": f"{tmp_path}{os.pathsep}",
    }
    findings = _policy.settings_findings(env)
    assert [f["setting"].split("=")[0] for f in findings] == ["CORPTLS_EXTRA_CA_CERTS"], findings
    assert f"missing path ({missing})" in findings[0]["reason"]


def test_bundle_and_posix_env_output_keep_lf_where_text_mode_writes_crlf(monkeypatch: pytest.MonkeyPatch) -> None:
    from corptls import _commands

    raw = io.BytesIO()
    windows_stdout = io.TextIOWrapper(raw, encoding="cp1252", newline="\r\n")  # as on Windows
    monkeypatch.setattr(sys, "stdout", windows_stdout)
    windows_stdout.write("before\n")
    _commands.write_lf("export A='x'\nexport B='y'\n")
    assert raw.getvalue() == b"before\r\nexport A='x'\nexport B='y'\n"
