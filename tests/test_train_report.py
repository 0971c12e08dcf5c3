"""minigrad.train.report: progress bars, the confusion matrix on a known case, the table."""

import io

import numpy as np

from minigrad.train.report import (
    EpochProgress,
    class_table,
    confusion_matrix,
    per_class_accuracy,
)


def test_confusion_matrix_counts_true_rows_against_predicted_columns():
    y = [0, 0, 1, 1, 1, 2]
    pred = [0, 1, 1, 1, 2, 0]
    matrix = confusion_matrix(y, pred, 3)
    np.testing.assert_array_equal(matrix, [[1, 1, 0], [0, 2, 1], [1, 0, 0]])
    assert per_class_accuracy(matrix) == [0.5, 2 / 3, 0.0]
    assert per_class_accuracy(confusion_matrix([0], [0], 2)) == [1.0, None]


def test_class_table_has_a_row_per_class_with_its_accuracy_and_counts():
    matrix = confusion_matrix([0, 0, 1, 1, 1, 2], [0, 1, 1, 1, 2, 0], 3)
    lines = class_table(matrix, ["cat", "dog", "bird"]).splitlines()
    assert lines[1].split() == ["class", "acc", "n", "cat", "dog", "bird"]
    assert lines[2].split() == ["cat", "50.0%", "2", "1", "1", "0"]
    assert lines[3].split() == ["dog", "66.7%", "3", "0", "2", "1"]


def test_progress_uses_tqdm_on_a_terminal_and_plain_lines_elsewhere():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    tty = Terminal()
    bar = EpochProgress(3, "epoch 1/1", tty)
    for _ in range(3):
        bar.update(10, 5.0, 7)
    bar.close()
    assert bar.bar is not None and "epoch 1/1" in tty.getvalue()
    assert bar.status().startswith("loss 0.5000 acc 70.00%")
    plain = io.StringIO()
    lines = EpochProgress(3, "epoch 1/1", plain, interval=0.0)
    lines.update(10, 5.0, 7)
    assert lines.bar is None and plain.getvalue().startswith("epoch 1/1 1/3 loss 0.5000")


def test_progress_in_a_notebook_uses_tqdm_auto(monkeypatch):
    import sys
    import types

    class Kernel:
        config = {"IPKernelApp": {}}

    fake = types.SimpleNamespace(get_ipython=lambda: Kernel())
    monkeypatch.setitem(sys.modules, "IPython", fake)
    made = {}

    class FakeBar:
        def __init__(self, **kwargs):
            made.update(kwargs)

        def close(self):
            pass

    import tqdm.auto

    monkeypatch.setattr(tqdm.auto, "tqdm", FakeBar)
    bar = EpochProgress(3, "epoch 1/1", io.StringIO())
    assert isinstance(bar.bar, FakeBar) and "file" not in made and made["total"] == 3
