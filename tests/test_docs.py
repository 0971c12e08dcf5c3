"""The docs site builds with `mkdocs build --strict` (every nav page exists, every link and
image resolves, the API reference renders from the docstrings), and the built pages show
themselves in headless Chromium with no network: formulas drawn as formulas, never raw LaTeX,
no console errors, no request leaving the machine."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Visible prose (code blocks removed) that still looks like LaTeX: \( \[ \command $x$
RAW_LATEX = re.compile(r"\\[(\[]|\\[A-Za-z]{2,}|\$[^$\s][^$\n]*\$")
PROSE_TEXT = """() => {
    const article = document.querySelector("article").cloneNode(true);
    article.querySelectorAll("pre, code, script, style, math").forEach(e => e.remove());
    return article.innerText;
}"""
# A subscript drawn by a math layout sits lower than its base; as plain text it would not.
SUBSCRIPTS_DROP = """() => [...document.querySelectorAll("article msub")].map(s => {
    const [base, sub] = [...s.children].map(c => c.getBoundingClientRect());
    return sub.bottom > base.bottom && sub.height > 0;
})"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    out = tmp_path_factory.mktemp("site")
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent)) or shutil.which("mkdocs")
    cmd = [mkdocs] if mkdocs else [sys.executable, "-m", "mkdocs"]
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    done = subprocess.run(
        [*cmd, "build", "--strict", "-d", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def test_mkdocs_build_strict(site):
    assert (site / "experiments" / "index.html").is_file()
    assert (site / "engine" / "index.html").is_file()


def test_engine_page_shows_formulas_not_latex_in_chromium(site, serve, open_page, tmp_path):
    page = open_page(serve(site) + "engine/")
    shot = tmp_path / "engine.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert page.problems == []
    prose = page.evaluate(PROSE_TEXT)
    assert "backward closure" in prose
    assert RAW_LATEX.findall(prose) == []
    assert page.locator("article math").count() >= 6
    drops = page.evaluate(SUBSCRIPTS_DROP)
    assert drops and all(drops)


def test_every_page_loads_offline_without_raw_latex(site, serve, open_page):
    base = serve(site)
    pages = sorted(p.parent.relative_to(site) for p in site.glob("**/index.html"))
    assert len(pages) >= 10
    page = open_page(base)
    for rel in pages:
        page.problems.clear()
        page.goto(f"{base}{rel.as_posix()}/".replace("./", ""), wait_until="load")
        assert page.problems == [], rel
        assert RAW_LATEX.findall(page.evaluate(PROSE_TEXT)) == [], rel


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
