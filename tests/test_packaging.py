"""pyproject's extras match what users run: `train` brings what `minigrad train` imports,
`examples` what examples/ imports, `all` every extra, `dev` what the tests use; the LICENSE
file is the MIT license pyproject declares."""

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Modules whose distribution has another name (Pillow comes with matplotlib).
DISTRIBUTION = {"PIL": "matplotlib"}


def _pyproject():
    tomllib = pytest.importorskip("tomllib")
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _names(requirements):
    return {re.split(r"[\[<>=!~ ;]", r, maxsplit=1)[0].lower() for r in requirements}


def _third_party_imports(paths):
    """Top-level names the files import, leaving out the standard library, the examples'
    own modules, and imports guarded by `except ImportError` (optional, with a message)."""
    found, optional = set(), set()
    for path in paths:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Try) and any(
                isinstance(h.type, ast.Name) and h.type.id == "ImportError" for h in node.handlers
            ):
                optional.update(_imported(ast.Module(body=node.body, type_ignores=[])))
        found.update(_imported(tree))
    local = {p.stem for p in paths} | {"minigrad", "_common"}
    return {m for m in found - optional if m not in sys.stdlib_module_names and m not in local}


def _imported(tree) -> set:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_all_holds_every_extra_and_dev_what_the_tests_run():
    extras = {k: _names(v) for k, v in _pyproject()["project"]["optional-dependencies"].items()}
    for name, packages in extras.items():
        if name not in ("all", "dev"):
            assert packages <= extras["all"], name
    for name in ("train", "viz", "examples"):
        assert extras[name] <= extras["dev"], name


def test_train_extra_brings_progress_bars_and_figures():
    train = _names(_pyproject()["project"]["optional-dependencies"]["train"])
    assert {"tqdm", "matplotlib"} <= train


def test_examples_extra_covers_what_the_examples_import():
    examples = _names(_pyproject()["project"]["optional-dependencies"]["examples"])
    imports = _third_party_imports(sorted((ROOT / "examples").glob("*.py")))
    needed = {DISTRIBUTION.get(m, m).lower() for m in imports - {"numpy"}}
    assert needed <= examples, needed - examples


def test_license_file_is_the_mit_license_pyproject_declares():
    project = _pyproject()["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def test_imports_flow_from_the_command_through_training_to_the_core():
    """cli -> train, sweep -> nn, optim, data -> core: no module imports a layer above it."""
    above = {
        "cli": set(),
        "__main__": set(),
        "sweep": {"cli"},
        "train": {"cli", "sweep"},
    }
    package = ROOT / "minigrad"
    for path in package.rglob("*.py"):
        parts = path.relative_to(package).with_suffix("").parts
        layer = parts[0] if parts[0] in above else "lower"
        banned = above.get(layer, {"cli", "sweep", "train"})
        for name in _imported_modules(ast.parse(path.read_text())):
            pieces = name.split(".")
            if pieces[0] == "minigrad" and len(pieces) > 1:
                assert pieces[1] not in banned, f"{path.relative_to(ROOT)} imports {name}"


def _imported_modules(tree) -> set:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names
