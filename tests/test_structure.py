"""How the package is put together: dependencies point one way (start-up hook and commands ->
core), and texts fit who reads them. In-process and fast."""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import re
import warnings
from pathlib import Path

import pytest

import corptls
from corptls import _autoload, _bundle, _cli, _commands, _exports, _files, _warnings

PACKAGE = Path(_autoload.__file__).parent
#: What a program's inject() and the clients' patches run (``clients`` is the sub-package).
CORE = set("__init__ auto _api _bundle _hooks _undo _warnings _log _status _files _masks _exports clients".split())
#: The commands, each a sub-command that _cli assembles.
COMMANDS = set("_switch _commands _doctor _run".split())
#: The start-up hook, the command line, and what only they use.
OUTER = COMMANDS | set("__main__ _cli _autoload _hookfiles _containers _policy _render _report".split())


@functools.cache  # one parse of the package for every test here
def _imports() -> dict[str, set[str]]:
    """Each module of the package (``clients`` for its sub-package), with the modules of the package
    it imports anywhere in its code (``__init__`` for ``import corptls``)."""
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        imported = found.setdefault(parts[0], set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name.split(".") for a in node.names if a.name.split(".")[0] == "corptls"]
                imported |= {name[1] if len(name) > 1 else "__init__" for name in names}
            elif isinstance(node, ast.ImportFrom):
                module = (node.module or "").split(".") if node.module else []
                if node.level:  # relative to the package or to clients/
                    below = [*parts[: len(parts) - node.level], *module]
                elif module[0] == "corptls":
                    below = module[1:]
                else:
                    continue
                imported |= {below[0]} if below else {a.name for a in node.names}
        imported.discard(parts[0])
    return found


def test_every_module_is_core_or_outer() -> None:
    assert set(_imports()) == CORE | OUTER  # a new module: put it in one of them


def test_the_core_imports_no_command_and_not_the_start_up_hook() -> None:
    leaks = {name: imported & OUTER for name, imported in _imports().items() if name in CORE and imported & OUTER}
    assert leaks == {}


def test_no_command_imports_another() -> None:
    """Only _cli assembles the commands: no command, and nothing a command uses, imports a command."""
    importers = {name for name, imported in _imports().items() if imported & COMMANDS}
    assert importers == {"_cli"}


def test_the_start_up_hook_is_imported_by_its_switch_and_reader_only() -> None:
    importers = {name for name, imported in _imports().items() if "_autoload" in imported}
    assert importers == {"_switch", "_hookfiles"}


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
