"""The release set-up holds together: one version (pyproject reads `minigrad.__version__`,
`minigrad --version` prints it), a Keep a Changelog file, pre-commit hooks for ruff and mypy,
a contributor guide that explains every repo-review check the project skips, and CI that
runs the wheel check."""

import re
from pathlib import Path

import pytest

import minigrad
from minigrad.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _pyproject():
    tomllib = pytest.importorskip("tomllib")
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_the_version_is_written_once_and_read_by_pyproject():
    pyproject = _pyproject()
    assert "version" not in pyproject["project"]
    assert pyproject["project"]["dynamic"] == ["version"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "minigrad.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+([ab]|rc|\.dev)?\d*", minigrad.__version__)


def test_version_option_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"minigrad {minigrad.__version__}"


def test_the_wheel_carries_py_typed_and_every_viz_asset():
    data = _pyproject()["tool"]["setuptools"]["package-data"]["minigrad"]
    assert (ROOT / "minigrad" / "py.typed").is_file() and "py.typed" in data
    shipped = {p for pattern in data for p in (ROOT / "minigrad").glob(pattern)}
    assets = [p for p in (ROOT / "minigrad" / "viz").iterdir() if p.suffix != ".py"]
    assert [p.name for p in assets if p not in shipped and p.is_file()] == []


def test_changelog_keeps_the_keep_a_changelog_form():
    text = (ROOT / "CHANGELOG.md").read_text()
    assert "Keep a Changelog" in text and "## [Unreleased]" in text
    released = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", text, flags=re.M)
    assert released, "no released version with its date"
    headings = set(re.findall(r"^### (\w+)$", text, flags=re.M))
    assert headings <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def test_pre_commit_runs_ruff_and_mypy():
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    entries = [hook["entry"] for repo in config["repos"] for hook in repo["hooks"]]
    assert any(e.startswith("ruff check") for e in entries)
    assert any(e.startswith("ruff format") for e in entries)
    assert any(e.startswith("mypy") for e in entries)


def test_contributing_explains_every_skipped_repo_review_check():
    skipped = _pyproject()["tool"]["repo-review"]["ignore"]
    guide = (ROOT / "CONTRIBUTING.md").read_text()
    for code, reason in skipped.items():
        assert code in guide, f"CONTRIBUTING.md does not explain {code}"
        assert reason.strip(), code


def test_ci_runs_the_wheel_check():
    assert "bash .ci/check_wheel.sh" in (ROOT / ".ci" / "run").read_text()
