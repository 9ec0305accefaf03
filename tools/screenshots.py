"""Screenshots of pages in headless Chromium, for looking at what we build.

Usage: python tools/screenshots.py http://127.0.0.1:8000 /en/ /ko/ ... [--out screenshots] [--width 1280]
"""

import argparse
import re
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--out", default="screenshots")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--full", action="store_true")
    options = parser.parse_args()
    out = Path(options.out)
    out.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": options.width, "height": 900})
        for path in options.paths:
            page.goto(options.base + path)
            name = re.sub(r"[^a-z0-9]+", "_", f"{path}_{options.width}".lower()).strip("_")
            page.screenshot(path=str(out / f"{name}.png"), full_page=options.full)
            print(out / f"{name}.png")
        browser.close()


if __name__ == "__main__":
    main()
