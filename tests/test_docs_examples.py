"""The code on the "Coming from PyTorch" and "Coming from NumPy / cs231n" pages runs as
written (each page's blocks in order, in one namespace), so its claims hold on this code."""

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


@pytest.mark.parametrize("page", ["coming-from-pytorch.md", "coming-from-numpy.md"])
def test_page_code_runs(page, capsys):
    blocks = BLOCK.findall((DOCS / page).read_text())
    assert len(blocks) >= 2
    namespace = {"__name__": page}
    for block in blocks:
        exec(compile(block, page, "exec"), namespace)
