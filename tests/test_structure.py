"""How the package is put together: dependencies point one way (start-up hook -> core), and
texts fit who reads them. In-process and fast."""

from __future__ import annotations

import ast
import importlib.metadata
import re
from pathlib import Path

import pytest

import corptls
from corptls import _autoload, _commands, _files, _warnings

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
    """A program that called inject() is not told to switch autoload on; autoload's own line is."""
    monkeypatch.setattr(_warnings, "one_line", False)
    assert "autoload" not in _warnings.fix() and "CORPTLS_DISABLE=1" in _warnings.fix()
    monkeypatch.setattr(_warnings, "one_line", True)
    assert "corptls autoload enable" in _warnings.fix()


def test_one_version_source() -> None:
    """Cargo.toml's version, and nowhere else: the wheel's metadata and corptls.__version__ agree."""
    cargo = (Path(__file__).parents[1] / "Cargo.toml").read_text()
    [version] = re.findall(r'(?m)^version = "([^"]+)"', cargo.split("[dependencies]")[0])
    assert corptls.__version__ == importlib.metadata.version("corptls") == version
