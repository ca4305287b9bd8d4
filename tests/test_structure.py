"""How the package is put together: dependencies point one way (start-up hook -> core), and
texts fit who reads them. In-process and fast."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import warnings
from pathlib import Path

import pytest

import corptls
from corptls import _autoload, _bundle, _cli, _commands, _exports, _files, _warnings

PACKAGE = Path(_autoload.__file__).parent


def test_the_core_never_imports_the_start_up_hook() -> None:
    """The start-up hook (_autoload) depends on the core, never the reverse: only the command that
    switches it (_switch) and the reader of its files (_hookfiles) import it."""
    importers = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [a.name for a in node.names] if isinstance(node, (ast.Import, ast.ImportFrom)) else []
            if path.name != "_autoload.py" and any(n.split(".")[-1] == "_autoload" for n in names):
                importers.add(path.relative_to(PACKAGE).as_posix())
    assert importers == {"_switch.py", "_hookfiles.py"}


def test_one_atomic_write_helper() -> None:
    assert _commands.write_atomically is _files.write_atomically
    assert "mkstemp" not in (PACKAGE / "_switch.py").read_text() + (PACKAGE / "_commands.py").read_text()


def test_the_advice_fits_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    """A program that called inject() is not told to switch autoload on; autoload's own line is; a
    command's is told neither (CORPTLS_DISABLE does not stop a command)."""
    monkeypatch.setattr(_warnings, "caller", "inject")
    assert "autoload" not in _warnings.fix() and "CORPTLS_DISABLE=1" in _warnings.fix()
    monkeypatch.setattr(_warnings, "caller", "autoload")
    assert "corptls autoload enable" in _warnings.fix()
    monkeypatch.setattr(_warnings, "caller", "command")
    assert _warnings.fix() == "Fix: pip install --force-reinstall corptls"


@pytest.mark.parametrize(
    ("argv", "status"), [(["run", "--", "/nonexistent/cmd"], 127), (["env", "--shell", "bash"], 0)]
)
def test_a_failure_under_run_or_env_does_not_advise_autoload(
    argv: list[str], status: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``corptls run`` reports in one line, as autoload does; its advice is still a command's."""
    monkeypatch.setattr(_warnings, "caller", _warnings.caller)  # each restored afterwards
    monkeypatch.setattr(_warnings, "one_line", _warnings.one_line)
    monkeypatch.setattr(_bundle, "_now", _bundle._now)
    monkeypatch.setattr(_bundle, "_handed_out", _bundle.Files())
    monkeypatch.setenv("CORPTLS_CACHE_DIR", str(tmp_path))
    for name, _ in _exports.PATH_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert _cli.main(argv) == status
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _bundle.fail("OpenSSL refused the bundle (a test)")  # as a patched context reports it
    reports = capsys.readouterr().err.splitlines() + [str(w.message) for w in caught]
    failure = "corptls: OpenSSL refused the bundle (a test); Python's default trust is used. "
    assert failure + "Fix: pip install --force-reinstall corptls" in reports, reports
    assert not any("autoload" in report for report in reports), reports


def test_one_version_source() -> None:
    """Cargo.toml's version, and nowhere else: the wheel's metadata and corptls.__version__ agree."""
    cargo = (Path(__file__).parents[1] / "Cargo.toml").read_text()
    [version] = re.findall(r'(?m)^version = "([^"]+)"', cargo.split("[dependencies]")[0])
    assert corptls.__version__ == importlib.metadata.version("corptls") == version
