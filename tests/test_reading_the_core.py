"""docs/reading-the-core.md: every file it lists exists, and its line count is the file's
(within 10%, so that small edits need not touch the page)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = (ROOT / "docs" / "reading-the-core.md").read_text()
ROW = re.compile(r"^\| \d+ \| `([\w/.]+)` \| (\d+) \|", re.M)


def test_the_reading_order_lists_the_core_with_its_line_counts():
    rows = ROW.findall(PAGE)
    assert {"minigrad/tensor.py", "minigrad/autograd.py", "minigrad/ops/base.py"} <= {
        path for path, _ in rows
    }
    for path, stated in rows:
        lines = len((ROOT / path).read_text().splitlines())
        assert abs(lines - int(stated)) <= 0.1 * lines, f"{path}: page says {stated}, has {lines}"
