"""minigrad.train.figures: each drawing is a Figure made without pyplot, saved atomically;
first-layer templates in colour and grey; runs without matplotlib skip the pictures."""

import sys

import numpy as np
import pytest
from train_helpers import no_network, quiet, small  # noqa: F401

import minigrad.nn as nn
from minigrad.train import figures, fit


def test_figures_leave_pyplot_and_the_backend_alone(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    backend = matplotlib.get_backend()
    pyplot_loaded = "matplotlib.pyplot" in sys.modules
    history = [
        {"epoch": 1, "train_loss": 1.0, "train_accuracy": 0.5, "val_loss": 1.1, "val_accuracy": 0.4}
    ]
    drawn = [
        figures.curves_figure(history, "t"),
        figures.confusion_figure(np.eye(3, dtype=int), ["a", "b", "c"]),
        figures.templates_figure(np.random.default_rng(0).normal(size=(4, 12)), (3, 2, 2)),
    ]
    assert all(isinstance(fig, Figure) for fig in drawn)
    assert matplotlib.get_backend() == backend
    assert ("matplotlib.pyplot" in sys.modules) == pyplot_loaded
    folder = tmp_path / "figs"
    folder.mkdir()
    path = figures.save_figure(drawn[0], folder / "c.png")
    assert path.read_bytes()[:4] == b"\x89PNG" and [p.name for p in folder.iterdir()] == ["c.png"]


def test_templates_are_tiled_as_colour_images_or_grey_ones():
    pytest.importorskip("matplotlib")
    w = np.arange(2 * 3 * 4 * 4, dtype=float).reshape(2, 48)
    colour = figures.templates_figure(w, (3, 4, 4)).axes[0].images[0].get_array()
    assert colour.shape == (1 + 4 + 1, 1 + 2 * (4 + 1), 3)  # one row of two, 1-pixel gaps
    tile = colour[1:5, 1:5]
    assert tile.min() == 0.0 and tile.max() == 1.0
    # channel planes become the last axis: pixel (0, 0) of template 0 is w[0, [0, 16, 32]]
    np.testing.assert_allclose(tile[0, 0], np.array([0, 16, 32]) / 47)
    grey = figures.templates_figure(w[:, :16], (4, 4)).axes[0].images[0].get_array()
    assert grey.shape == (6, 11)
    many = figures.templates_figure(np.ones((150, 4)), (2, 2)).axes[0].images[0].get_array()
    assert many.shape == (1 + 10 * 3, 1 + 10 * 3)  # the first 100, ten to a row
    with pytest.raises(ValueError, match="not rows of images"):
        figures.templates_figure(w, (3, 5, 5))


def test_a_linear_classifier_shows_one_titled_template_per_class():
    pytest.importorskip("matplotlib")
    model = nn.Sequential(nn.Linear(12, 3))
    fig = figures.first_layer_figure(model, (3, 2, 2), ["cat", "dog", "ship"])
    assert [t.get_text() for t in fig.axes[0].texts] == ["cat", "dog", "ship"]
    with pytest.raises(ValueError, match="no nn.Linear"):
        figures.first_layer_figure(nn.Sequential(nn.ReLU()), (2, 2))


def test_a_run_without_matplotlib_says_which_pictures_it_skipped(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    lines = []
    fit(small(epochs=1), tmp_path, log=lines.append)
    assert not list(tmp_path.glob("*.png"))
    skipped = [line for line in lines if "not drawn" in line]
    assert skipped == [
        "curves.png, confusion.png, weights.png not drawn: matplotlib is not installed "
        '(pip install "minigrad[train]")'
    ]
    with pytest.raises(ImportError, match=r"minigrad\[train\]"):
        figures.curves_figure([])


def test_curves_have_whole_epoch_ticks_and_weights_a_caption():
    pytest.importorskip("matplotlib")
    history = [
        {"epoch": e, "train_loss": 1.0 / e, "train_accuracy": 0.5 + e / 10} for e in (1, 2, 3)
    ]
    fig = figures.curves_figure(history)
    fig.canvas.draw()
    for ax in fig.axes:
        ticks = [t for t in ax.get_xticks() if 1 <= t <= 3]
        assert ticks and all(float(t).is_integer() for t in ticks), ticks
    mlp = nn.Sequential(nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 2))
    caption = figures.first_layer_figure(mlp, (4, 4))._suptitle.get_text()
    assert caption.startswith("first layer's weights: the input pattern each of 8 of its 8")
    linear = figures.first_layer_figure(nn.Sequential(nn.Linear(16, 2)), (4, 4), ["a", "b"])
    assert "one template per class" in linear._suptitle.get_text()


def test_the_first_trained_layer_is_drawn_through_a_fixed_projection(monkeypatch):
    drawn = {}

    def capture(weight, image_shape, *args):
        drawn["weight"] = weight

    monkeypatch.setattr(figures, "templates_figure", capture)
    project, hidden = nn.Linear(16, 4, bias=False), nn.Linear(4, 3)
    project.weight.requires_grad = False
    figures.first_layer_figure(nn.Sequential(project, hidden, nn.ReLU(), nn.Linear(3, 2)), (4, 4))
    np.testing.assert_allclose(drawn["weight"], hidden.weight.data @ project.weight.data)
