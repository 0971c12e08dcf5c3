"""A script saved next to a checkout folder named `minigrad` gets a sentence saying so, not
"partially initialized module 'minigrad.tensor' (most likely due to a circular import)"."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import minigrad

PACKAGE = Path(minigrad.__file__).resolve().parent

# What `pip install -e .` adds: a finder that Python consults after every folder on sys.path,
# so a folder named minigrad beside the script wins. The package under test comes through
# it, and no folder on sys.path holds it (as with an editable install).
EDITABLE = f"""
import sys
from importlib.machinery import PathFinder
from pathlib import Path

ROOT = Path({str(PACKAGE.parent)!r})
sys.path[:] = [p for p in sys.path if not (Path(p or ".") / "minigrad" / "__init__.py").exists()]


class Editable:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.split(".")[0] != "minigrad":
            return None
        return PathFinder.find_spec(name, [str(ROOT.joinpath(*name.split(".")[:-1]))])


sys.meta_path.insert(sys.meta_path.index(PathFinder) + 1, Editable)
"""


def run_beside_a_checkout(tmp_path, script):
    """Run `script` from a folder that also holds a checkout named minigrad."""
    checkout = tmp_path / "minigrad"
    (checkout / "minigrad").mkdir(parents=True)  # the package sits one level down
    (checkout / "pyproject.toml").write_text('[project]\nname = "minigrad"\n')
    (tmp_path / "sitecustomize_editable.py").write_text(EDITABLE)
    path = tmp_path / "script.py"
    path.write_text("import sitecustomize_editable\n" + textwrap.dedent(script))
    return subprocess.run(
        [sys.executable, str(path)], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "script",
    [
        "import minigrad.nn as nn\nprint(nn.Linear(2, 3))\n",
        "from minigrad import tensor\nprint(tensor([1.0]))\n",
        "import minigrad.nn.functional as F\n",
        "from minigrad.data import DataLoader\n",
    ],
)
def test_a_checkout_folder_named_minigrad_beside_the_script_is_named_in_the_error(tmp_path, script):
    result = run_beside_a_checkout(tmp_path, script)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("minigrad._import_guard.ShadowedPackageError: `import minigrad` found")
    assert str(tmp_path / "minigrad") in last
    assert "Move the script out of that folder" in last and "rename the folder" in last
    assert "circular import" not in result.stderr


def test_the_same_script_elsewhere_runs(tmp_path):
    result = run_beside_a_checkout(tmp_path, "from minigrad import tensor\nprint(tensor([1.0]))\n")
    assert result.returncode == 1
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    for name in ("script.py", "sitecustomize_editable.py"):
        (tmp_path / name).rename(moved / name)
    result = subprocess.run(
        [sys.executable, "script.py"], cwd=moved, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "tensor([1.])"
