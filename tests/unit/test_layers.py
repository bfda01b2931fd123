"""The layers of ``src/sluice`` as ARCHITECTURE.md draws them, checked on the imports themselves."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "sluice"


def _imports(path: Path) -> Iterator[tuple[str, list[str]]]:
    """(module imported, names taken from it) for every import in ``path``, nested ones too."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(SRC.parent).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{module}" if module else base
            yield module, [alias.name for alias in node.names]


def _package_of(path: Path) -> str:
    return path.relative_to(SRC).parts[0]


def _modules(package: str) -> list[Path]:
    return sorted((SRC / package).rglob("*.py"))


def test_jdk_imports_nothing_of_sluice_but_itself() -> None:
    for path in _modules("jdk"):
        for module, _ in _imports(path):
            if module == "sluice" or module.startswith("sluice."):
                assert module.startswith("sluice.jdk"), (path.name, module)


@pytest.mark.parametrize("package", ["api", "jdk", "storage", "kafka"])
def test_lower_layers_do_not_import_the_runtime_or_above(package: str) -> None:
    above = ("sluice.runtime", "sluice.rest", "sluice.cli", "sluice.testing", "sluice.plugins")
    for path in _modules(package):
        for module, _ in _imports(path):
            assert not module.startswith(above), (str(path.relative_to(SRC)), module)


def test_no_package_reaches_into_another_ones_private_names() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        own = _package_of(path)
        for module, names in _imports(path):
            parts = module.split(".")
            if parts[0] != "sluice" or len(parts) < 2 or parts[1] == own:
                continue
            private = [p for p in parts[2:] if p.startswith("_")]
            private += [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private:
                found.append((str(path.relative_to(SRC)), module, private))
    assert found == []
