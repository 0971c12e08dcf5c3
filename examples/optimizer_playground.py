"""The optimizer playground saved as one page: every surface, SGD, Adam and L-BFGS racing.

    python examples/optimizer_playground.py                 # optimizer_playground.html, opened
    python examples/optimizer_playground.py --screenshots --out docs/figures   # the docs' page

The page works offline and without a kernel: for each surface and each optimizer, the paths
for seven learning rates (the surface's rate times 1/8 ... 8) and, for SGD and Adam, four
momenta (beta1 for Adam) are computed by minigrad.optim when it is saved, and its sliders move
over them. `--screenshots` takes a picture of it in headless Chromium (the system's, found on
PATH; Playwright drives it). `--quick` saves one surface.
"""

import argparse
import webbrowser

from _common import checked_args, headless_chromium, output_args, shrink_png

from minigrad import viz

SHOTS = [("bowl", "optimizer_playground.png"), ("cliff", "optimizer_playground_cliff.png")]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    output_args(parser)
    parser.add_argument("--screenshots", action="store_true", help="PNG pictures of the page")
    args = checked_args(parser, argv)
    playground = viz.playground("bowl", ["SGD", "Adam", "LBFGS"], steps=30 if args.quick else 100)
    args.out.mkdir(parents=True, exist_ok=True)
    surfaces = ["bowl", "cliff"] if args.quick else "all"
    page = playground.save(args.out / "optimizer_playground.html", surfaces=surfaces)
    print(f"wrote {page} ({page.stat().st_size / 1e6:.1f} MB)")
    if args.screenshots:
        for path in screenshot(page, args.out):
            print(f"wrote {path}")
    elif not args.no_show and not args.quick:
        webbrowser.open(page.resolve().as_uri())
    return {"playground": playground, "page": page}


def screenshot(page, out):
    """Open the page in headless Chromium, show each surface of `SHOTS`, save PNGs."""
    paths = []
    with headless_chromium() as browser:
        tab = browser.new_page(viewport={"width": 920, "height": 1040})
        tab.goto(page.resolve().as_uri())
        for surface, name in SHOTS:
            tab.select_option("select[name='surface']", surface)
            paths.append(out / name)
            tab.screenshot(path=str(paths[-1]))
            shrink_png(paths[-1])
    return paths


if __name__ == "__main__":
    main()
