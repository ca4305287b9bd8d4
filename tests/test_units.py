"""The pure functions, in-process and fast: what a shell gets, how reports are worded and masked,
how default trust is recognised, and the files corptls writes. The behaviour of whole programs
(clients, stores, start-up) is tested in subprocesses by the other test files."""

from __future__ import annotations

import contextlib
import io
import os
import re
import ssl
import stat
import sys
from pathlib import Path

import pytest

from corptls import (
    _autoload,
    _bundle,
    _commands,
    _doctor,
    _exports,
    _files,
    _hookfiles,
    _masks,
    _native,
    _policy,
    _switch,
    _warnings,
)

FIXTURES = Path(__file__).parent / "fixtures"

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


def test_posix_lines_carry_every_character_in_single_quotes() -> None:
    value = r"""/home/it's me/$HOME `x` \ "q" ü.pem"""
    assert _exports.line("bash", "V", value) == r"""export V='/home/it'\''s me/$HOME `x` \ "q" ü.pem'"""
    assert _exports.line("zsh", "V", value) == _exports.line("bash", "V", value)
    # fish: inside single quotes a backslash escapes a quote or a backslash, so both are escaped.
    assert _exports.line("fish", "V", value) == r"""set -gx V '/home/it\'s me/$HOME `x` \\ "q" ü.pem'"""


def test_render_sets_every_variable_and_refuses_what_no_shell_can_hold() -> None:
    names = [name for name, _ in _exports.PATH_VARIABLES]
    assert _exports.render("bash", "/b.pem").splitlines() == [f"export {n}='/b.pem'" for n in names] + [
        "export UV_SYSTEM_CERTS='true'"
    ]
    assert _exports.render("fish", "/b.pem").splitlines()[0] == "set -gx SSL_CERT_FILE '/b.pem'"
    for shell in _exports.SHELLS:
        with pytest.raises(ValueError, match="V: a value cannot hold a NUL character"):
            _exports.line(shell, "V", "a\0b")
    with pytest.raises(ValueError, match="unknown shell 'nu'; known: bash, zsh, fish, powershell, cmd"):
        _exports.line("nu", "V", "x")


# --------------------------------------------------------------------------- reports: never raising, never a credential


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


def test_credentials_in_urls_are_masked() -> None:
    text = "via http://alice:s3cr3t@proxy.corp:8080 and HTTPS://t0ken@gw/x, not https://plain/ or bob@host"
    assert (
        _masks.masked(text)
        == "via http://alice:***@proxy.corp:8080 and HTTPS://***@gw/x, not https://plain/ or bob@host"
    )
    assert _masks.masked("http://u:p@ss@proxy:1") == "http://u:***@proxy:1"  # the user info runs to the last @


def test_proxy_settings_are_masked_without_a_scheme_too() -> None:
    assert _masks.setting("HTTPS_PROXY", "alice:pw@proxy:3128") == "alice:***@proxy:3128"
    assert _masks.setting("all_proxy", "t0ken@proxy:3128") == "***@proxy:3128"
    assert _masks.setting("ALL_PROXY", "socks5://a:b@c") == "socks5://a:***@c"
    assert _masks.setting("NO_PROXY", "a@b,c") == "a@b,c"  # host names, no credentials
    assert _masks.setting("SSL_CERT_FILE", "/x/u:p@y.pem") == "/x/u:p@y.pem"  # a path, not a URL


def test_a_whole_report_is_masked() -> None:
    report = {
        "proxy": "http://u:p@h:1",
        "list": ["https://t@h/", 3, None],
        "deeper": {"error": "at http://u:p@h:1: no"},
    }
    assert _masks.report(report) == {
        "proxy": "http://u:***@h:1",
        "list": ["https://***@h/", 3, None],
        "deeper": {"error": "at http://u:***@h:1: no"},
    }


# --------------------------------------------------------------------------- files and stdout


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
        _switch._write(str(custom), _hookfiles.read(str(custom)) + _hookfiles.BEGIN + "pass\n" + _hookfiles.END)
        assert stat.S_IMODE(custom.stat().st_mode) == 0o640
        text = custom.read_bytes()
        assert text.startswith(user) and text.endswith(b"pass\n# <<< corptls autoload <<<\n"), text
        _switch._write(str(custom), _hookfiles.without_block(_hookfiles.read(str(custom))))
        assert custom.read_bytes() == user
    finally:
        os.umask(old)


def test_hook_status_reads_a_hook_with_crlf_line_endings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_hookfiles, "site_dir", lambda user: str(tmp_path))
    (tmp_path / _autoload.PTH_NAME).write_bytes(_autoload.pth_text(True).replace("\n", "\r\n").encode("ascii"))
    assert f"hook: {tmp_path / _autoload.PTH_NAME}: enabled" in _hookfiles.status(False)


def test_only_corptls_block_is_taken_out_of_sitecustomize() -> None:
    block = _hookfiles.BEGIN + "import os, sys; exec(...)\n" + _hookfiles.END
    before, after = "import usercustomize\r\n", "# mine\nX = 1\n"
    assert _hookfiles.without_block(before + block + after) == before + after
    assert _hookfiles.without_block(before + after) == before + after
    assert _hookfiles.without_block(before + block[:-10]) == before  # no end marker: the rest was ours
    assert _hookfiles.without_block(block + block) == block  # one block at a time: enable writes one


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


def test_bundle_and_posix_env_output_keep_lf_where_text_mode_writes_crlf(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = io.BytesIO()
    windows_stdout = io.TextIOWrapper(raw, encoding="cp1252", newline="\r\n")  # as on Windows
    monkeypatch.setattr(sys, "stdout", windows_stdout)
    windows_stdout.write("before\n")
    _commands.write_lf("export A='x'\nexport B='y'\n")
    assert raw.getvalue() == b"before\r\nexport A='x'\nexport B='y'\n"


# --------------------------------------------------------------------------- doctor and bundle --sources


def test_doctor_splits_only_path_lists(tmp_path: Path) -> None:
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


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.openai.com", ("api.openai.com", 443)),
        ("api.openai.com:8443", ("api.openai.com", 8443)),  # https:// is implied
        ("HTTPS://API.Example.COM/v1?q=1", ("api.example.com", 443)),
        ("https://user:pw@[::1]:8443/", ("::1", 8443)),
    ],
)
def test_doctor_takes_https_host_and_port(url: str, expected: tuple[str, int]) -> None:
    assert _doctor._parse(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://x", "not an https URL: 'http://x' (expected https://host[:port])"),
        ("https://", "not an https URL: 'https://' (expected https://host[:port])"),
        ("https://host:x", "bad port in 'https://host:x'"),
        ("https://host:65536", "bad port in 'https://host:65536'"),
        ("host:0", "bad port in 'host:0'"),
    ],
)
def test_doctor_refuses_anything_else(url: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        _doctor._parse(url)
    assert str(caught.value) == message


def test_interception_advice_follows_corptlss_verdict() -> None:
    assert "run `corptls.inject()` in your program" in _policy.interception_advice("CN=Corp", None, True)
    rejected = _policy.interception_advice("CN=Corp", "certificate has expired", True)
    assert "(certificate has expired): the chain itself is at fault" in rejected, rejected
    unknown = _policy.interception_advice("CN=Evil", "unable to get local issuer certificate", False)
    assert unknown.startswith("The chain is anchored in CN=Evil, which nothing here trusts.") and unknown.endswith(
        ": stop."
    )


def test_what_becomes_of_a_certificate_that_breaks_a_strict_rule() -> None:
    rules = ["Basic Constraints of CA cert not marked critical", "CA cert does not include key usage extension"]

    def warning(root: bool, twinned: bool, relaxed: bool) -> str:
        return _policy.strict_warning("CN=X", rules, root, twinned, relaxed)

    assert warning(True, True, False).startswith(f"CN=X (root): {rules[0]}; {rules[1]}: ")
    assert "corptls repairs it" in warning(True, True, False)
    assert warning(True, True, True) == warning(True, True, False)  # a twin needs no opt-in
    assert "corptls has no twin for this root" in warning(True, False, True)
    assert warning(False, True, False).startswith(f"CN=X: {rules[0]}; ")  # twins are for roots only
    assert "only its issuer can fix it" in warning(False, True, False)
    assert "CORPTLS_X509_STRICT=0 is in force" in warning(False, False, True)


def test_the_interception_product_is_named_by_whole_words() -> None:
    assert _policy.product("CN=Zscaler Intermediate Root CA, O=Zscaler Inc.") == "Zscaler"
    assert _policy.product("cn=NETSKOPE ROOT") == "Netskope"
    assert _policy.product("O=PaloAlto CN=Forward Trust") == "Palo Alto Networks"
    assert _policy.product("O=Check Point Software CN=Fortinet") == "Fortinet FortiGate"  # the table's order
    assert _policy.product("O=Preset Charleston Bank") is None  # not ESET, not Charles Proxy
    assert _policy.product("CN=DigiCert Global Root G2") is None


def test_bundle_sources_name_root_labels() -> None:
    assert _commands.parse_sources("os") == {"os"}
    assert _commands.parse_sources(" openssl , certifi ,") == {"openssl-file", "openssl-dir", "certifi"}
    assert _commands.parse_sources("extra") == {"SSL_CERT_FILE", "SSL_CERT_DIR", "CORPTLS_EXTRA_CA_CERTS", "extra"}
    with pytest.raises(ValueError, match=r"^unknown source 'bogus', 'x'; choose from os, certifi, openssl, extra$"):
        _commands.parse_sources("os,bogus,x")
    with pytest.raises(ValueError, match=r"^unknown source \(none given\)"):
        _commands.parse_sources(" , ")


# --------------------------------------------------------------------------- default trust


def test_files_know_a_file_by_its_name_or_by_the_inode_it_had(tmp_path: Path) -> None:
    recorded = tmp_path / "cacert.pem"
    recorded.write_text("certifi's")
    files = _bundle.Files([str(recorded)])
    assert files.holds(str(recorded)) and files.holds(recorded) and files.holds(os.fsencode(recorded))
    os.link(recorded, tmp_path / "link.pem")
    assert files.holds(tmp_path / "link.pem")  # another name of the same file
    (tmp_path / "copy.pem").write_text("certifi's")
    assert not files.holds(tmp_path / "copy.pem")  # the same bytes are not the file
    recorded.rename(tmp_path / "moved.pem")
    recorded.write_text("a file put in its place")
    assert files.holds(recorded) and files.holds(tmp_path / "moved.pem")  # the name, and the file it named

    class NoPath:
        def __fspath__(self) -> object:
            return 3

    assert not any(files.holds(p) for p in (None, 3, [str(recorded)], NoPath()))  # stock's to refuse


def test_a_bundle_recognises_certifis_file_and_certifis_set(tmp_path: Path) -> None:
    certifi, extra = FIXTURES / "ca.pem", FIXTURES / "ca2.pem"
    bundle = _bundle.Bundle(
        _native.collect(certifi, extra=[extra]),
        None,
        _bundle.Files([str(certifi)]),
        _bundle.Files([str(tmp_path)]),
        None,
    )
    assert bundle.is_default_file(str(certifi)) and not bundle.is_default_file(str(extra))
    assert bundle.is_default_dir(tmp_path) and not bundle.is_default_dir(FIXTURES)
    ca, ca2 = (ssl.PEM_cert_to_DER_cert(p.read_text()) for p in (certifi, extra))
    assert bundle.holds_certifi_set([ca])
    assert not bundle.holds_certifi_set([ca, ca2])  # certifi's roots and one of the program's own
    assert not bundle.holds_certifi_set([ca2]) and not bundle.holds_certifi_set([])


@pytest.mark.parametrize(
    ("capath", "chosen", "platform", "why"),
    [
        ("/home/u/.cache/corptls/certs-0", False, "linux", ""),
        ("/srv/cache;x/certs-0", True, "linux", ""),
        ("/home/u/a:b/corptls/certs-0", False, "linux", "holds ':'"),
        ("C:\\Users\\u\\AppData\\Local\\corptls\\certs-0", False, "win32", ""),
        ("C:\\Users\\Jürgen\\AppData\\Local\\corptls\\certs-0", False, "win32", "ANSI code page"),
        ("C:\\corptls\\certs-0", True, "win32", "not CORPTLS_CACHE_DIR"),
        ("C:\\a;b\\certs-0", False, "win32", "holds ';'"),
    ],
)
def test_when_openssl_may_read_the_hashed_directory_lazily(capath: str, chosen: bool, platform: str, why: str) -> None:
    reason = _bundle._unusable_capath(capath, chosen, platform)
    assert (why in reason) if why else reason == "", reason
