"""The docs site builds with `mkdocs build --strict`: every nav page exists, every link and
image resolves, and the API reference renders from the docstrings."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_mkdocs_build_strict(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent)) or shutil.which("mkdocs")
    cmd = [mkdocs] if mkdocs else [sys.executable, "-m", "mkdocs"]
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    done = subprocess.run(
        [*cmd, "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site" / "experiments" / "index.html").is_file()


def test_every_figure_on_a_page_exists_and_names_its_command():
    pages = {p: p.read_text() for p in (ROOT / "docs").glob("*.md")}
    for page, text in pages.items():
        for line in text.splitlines():
            if line.startswith("![") and "figures/" in line:
                name = line.split("figures/")[1].rstrip(")")
                assert (ROOT / "docs" / "figures" / name).is_file(), (page.name, name)
                script = name.split(".")[0].split("_curves")[0]
                if (ROOT / "examples" / f"{script}.py").is_file():
                    assert f"examples/{script}.py" in text, (page.name, name)
