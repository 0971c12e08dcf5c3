"""A clear error when a folder named `minigrad` hides the installed package.

A script saved next to a checkout of the repository (a folder `minigrad/` holding
`pyproject.toml`, with the package inside it at `minigrad/minigrad/`) runs with the script's
folder first on `sys.path`, so `import minigrad` finds the checkout folder instead of the
package installed with `pip install -e .`. Having no `__init__.py`, the folder becomes an
empty namespace package: `minigrad/__init__.py` never runs, and the package's modules, found
one by one through the editable install, fail half-way with "partially initialized module
'minigrad.tensor' (most likely due to a circular import)".

`minigrad.tensor`, which every part of minigrad imports, imports this module before anything
else, and this module raises `ShadowedPackageError` saying what happened and what to do.
"""

import sys

__all__ = ["ShadowedPackageError", "check"]


class ShadowedPackageError(ImportError):
    """`import minigrad` found a folder named minigrad instead of the package."""


def check() -> None:
    """Raise `ShadowedPackageError` if `minigrad` is a namespace package (a plain folder)."""
    package = sys.modules.get("minigrad")
    if package is None or getattr(package, "__file__", None) is not None:
        return
    folders = " and ".join(str(p) for p in getattr(package, "__path__", [])) or "a folder"
    raise ShadowedPackageError(
        f"`import minigrad` found the folder {folders}, not the minigrad package: a folder "
        "named minigrad (a checkout of the repository?) sits in the folder your script "
        "started from, and Python looks there first. Move the script out of that folder "
        "(or run Python from another one), or rename the folder, e.g. to minigrad-repo."
    )


check()
