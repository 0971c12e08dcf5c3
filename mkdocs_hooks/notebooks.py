"""mkdocs hook: the tutorial notebooks in examples/notebooks/ become pages of the site.

Each notebook is converted, with the outputs stored in it, by nbconvert's Markdown exporter,
so its Markdown cells go through the same extensions as the other pages (formulas become
MathML, see `mathml.py`), its code cells become highlighted code, its figures become image
files beside the page, and its HTML displays (tables, the backward-pass explorer) stay
HTML. Widgets (tqdm's live progress bars) need a running kernel, so they are left out. The
page for `examples/notebooks/NAME.ipynb` is `notebooks/NAME.md`, and the
notebook itself is published beside it for download. Nothing is executed here: the pages
show the outputs of the last full run that was saved into the notebook.
"""

from pathlib import Path

from mkdocs.structure.files import File

SOURCE = Path("examples") / "notebooks"
WIDGET = "application/vnd.jupyter.widget-view+json"  # live widgets: progress bars


def on_files(files, config):
    """mkdocs event: add every notebook's page, its figures and the notebook itself."""
    import nbformat
    from nbconvert import MarkdownExporter

    root = Path(config.config_file_path).parent
    for path in sorted((root / SOURCE).glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs = [o for o in cell.outputs if WIDGET not in o.get("data", {})]
        body, resources = MarkdownExporter().from_notebook_node(
            notebook, resources={"unique_key": path.stem}
        )
        title, _, rest = body.lstrip().partition("\n")
        source = (
            f"*[Download this notebook]({path.name}), or run it in a clone of the repository: "
            f'`pip install -e ".[notebooks]"`, then `jupyter lab {SOURCE.as_posix()}`, and run '
            "all its cells: JupyterLab shows the graph drawings and the explorer of a notebook "
            "from elsewhere only once they have run. The test suite runs it so in JupyterLab "
            "and checks what shows.*"
        )
        page = f"{title}\n\n{source}\n{rest}"
        files.append(File.generated(config, f"notebooks/{path.stem}.md", content=page))
        for name, data in resources["outputs"].items():
            files.append(File.generated(config, f"notebooks/{name}", content=data))
        files.append(File.generated(config, f"notebooks/{path.name}", content=path.read_bytes()))
    return files
