"""The self-contained HTML pages of the explorer and the playground: a template beside this
file with `{{name}}` placeholders, its stylesheet and script inlined, and its data as JSON."""

from __future__ import annotations

import html
import os
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def asset(name: str) -> str:
    """The text of the file `name` beside this module (a template, stylesheet or script)."""
    return (_HERE / name).read_text(encoding="utf-8")


def fill(stem: str, title: str, data: str, **more: str) -> str:
    """`{stem}.html` with `{{title}}` (escaped), `{{style}}` and `{{script}}` (`{stem}.css`
    and `{stem}.js`), each `{{key}}` of `more` and `{{data}}`: the JSON text `data`, with
    `</` written `<\\/` so that no string in it can close the page's `<script>`."""
    parts = {
        "{{title}}": html.escape(title),
        "{{style}}": asset(f"{stem}.css"),
        **{f"{{{{{key}}}}}": value for key, value in more.items()},
        "{{data}}": data.replace("</", "<\\/"),
        "{{script}}": asset(f"{stem}.js"),
    }
    page = asset(f"{stem}.html")
    for key, value in parts.items():
        page = page.replace(key, value)
    return page


def write(text: str, path: str | os.PathLike[str]) -> Path:
    """Write `text` to `path` atomically (a temporary file beside it, then a rename)."""
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    return target
