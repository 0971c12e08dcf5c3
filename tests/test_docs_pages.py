"""The docs speak to users about their own machines: every page is listed on the home page
and in the site's navigation, no page names a path of the machine its numbers were measured
on or a file users do not have, and code fits the page at a normal window width."""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if p.name != "index.md" or p.parent != DOCS)
MACHINE = re.compile(r"/work/|/root/|/tmp/|REFERENCE\.md|\bsession\b|\bcoordinator\b")
NOTEBOOKS = sorted((ROOT / "examples" / "notebooks").glob("*.ipynb"))
# Characters of a code line that the site shows at a 1280-pixel-wide window (measured in
# Chromium); a longer line scrolls sideways, its end out of sight.
CODE_WIDTH = 80
# Pages whose code blocks do not fit yet: remove a page from here once its lines do.
WIDE_PAGES = {"engine.md"}


def test_every_page_is_listed_on_the_home_page_and_in_the_navigation():
    index = (DOCS / "index.md").read_text()
    nav = (ROOT / "mkdocs.yml").read_text()
    for page in PAGES:
        name = page.relative_to(DOCS).as_posix()
        assert f": {name}" in nav, f"mkdocs.yml's nav lacks {name}"
    for name in re.findall(r": (\S+\.md)$", nav, flags=re.M):  # also pages the build makes
        if name != "index.md":
            assert f"]({name})" in index, f"docs/index.md does not link {name}"


def test_no_page_names_a_path_of_this_machine_or_a_file_users_lack():
    for page in [DOCS / "index.md", *PAGES, ROOT / "README.md"]:
        for number, line in enumerate(page.read_text().splitlines(), 1):
            assert not MACHINE.search(line), f"{page.name}:{number}: {line}"


def _code_lines(path):
    """(where, line) for each line of the code blocks of a page or of a notebook's cells."""
    if path.suffix == ".ipynb":
        cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
        for number, cell in enumerate(cells, 1):
            for line in "".join(cell["source"]).splitlines():
                yield f"code cell {number}", line
        return
    fence = None
    for number, line in enumerate(path.read_text().splitlines(), 1):
        marker = re.match(r"\s*(```|~~~)", line)
        if marker and (fence is None or marker.group(1) == fence):
            fence = None if fence else marker.group(1)
        elif fence:
            yield f"line {number}", line


def test_code_lines_fit_the_page_at_a_normal_window_width():
    too_long = [
        f"{path.name} {where}: {len(line)} characters: {line}"
        for path in [*PAGES, *NOTEBOOKS]
        if path.name not in WIDE_PAGES
        for where, line in _code_lines(path)
        if len(line) > CODE_WIDTH
    ]
    assert too_long == [], "\n".join(too_long)


def test_the_code_width_check_sees_a_long_line(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("text " * 40 + "\n\n```python\nx = 1\n" + "y" * 81 + "\n```\n")
    assert [len(line) for _, line in _code_lines(page)] == [5, 81]


def test_commands_users_copy_carry_no_blas_variables_outside_the_performance_page():
    for page in [*PAGES, ROOT / "README.md"]:
        if page.name != "performance.md":
            assert "env -u" not in page.read_text(), page.name


def test_getting_started_python_blocks_run_in_order(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    text = (DOCS / "getting-started.md").read_text()
    namespace = {}
    for block in re.findall(r"```python\n(.*?)```", text, flags=re.S):
        exec(compile(block, "getting-started.md", "exec"), namespace)
    assert namespace["result"].metrics["test_accuracy"] > 0.9
    assert namespace["classes"].shape == (5,)
    assert "total:" in capsys.readouterr().out


def test_training_page_lists_every_option_of_the_command():
    from minigrad.cli import build_parser

    text = (DOCS / "training.md").read_text()
    train = next(a for a in build_parser()._actions if a.dest == "command").choices["train"]
    for action in train._actions:
        for option in action.option_strings:
            if option.startswith("--") and option not in (
                "--help",
                "--no-augment",
                "--no-batch-norm",
            ):
                assert f"`{option}" in text, option


def _options_table() -> dict[str, str]:
    """The rows of docs/training.md's options table, by each option their first cell names."""
    text = (DOCS / "training.md").read_text()
    table = text.split("| option | default | meaning |", 1)[1].split("\n\n", 1)[0]
    rows = {}
    for line in table.strip().splitlines()[1:]:
        first = line.split("|")[1]
        for option in re.findall(r"`(--[a-z-]+)", first):
            rows[option] = line
    return rows


def test_training_options_table_agrees_with_the_train_config_fields():
    """The table is written for reading, so this checks it against TrainConfig: every field
    has a row showing its default (each dataset's, where it depends on the dataset) and its
    choices, and every option in it exists."""
    import dataclasses

    from minigrad.cli import build_parser
    from minigrad.train import DATASET_DEFAULTS, TrainConfig
    from minigrad.train.config import option_name
    from minigrad.train.options import words

    rows = _options_table()
    for f in dataclasses.fields(TrainConfig):
        row = rows.get(option_name(f.name))
        assert row is not None, f"no row for {option_name(f.name)}"
        defaults = [d[f.name] for d in DATASET_DEFAULTS.values() if f.name in d]
        if f.default is not None:
            defaults.append(f.default)
        for value in defaults:
            assert words(value) in row, f"{option_name(f.name)}: default {words(value)}"
        for choice in f.metadata.get("choices", ()):
            assert f"`{choice}`" in row, f"{option_name(f.name)}: choice {choice}"
    train = next(a for a in build_parser()._actions if a.dest == "command").choices["train"]
    options = {o for action in train._actions for o in action.option_strings}
    assert set(rows) <= options, set(rows) - options
