"""examples/two_layer_net.py: the spiral defeats a linear classifier but not a 2-layer net."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))

import two_layer_net  # noqa: E402


def test_two_layer_net_separates_the_spiral_with_each_loss(capsys):
    results = two_layer_net.main([])
    assert set(results) == {"softmax", "svm"}
    for accs in results.values():
        assert 0.4 < accs["linear"] < 0.65
        assert accs["two_layer"] > 0.95
    assert "2-layer net" in capsys.readouterr().out
