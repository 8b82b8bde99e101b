"""Take headless Chromium screenshots of a built site, at phone and desktop widths.

    python scripts/screenshots.py public/ / /yibao/some-article/ --out shots/

Serves the folder on a free local port, so absolute links and the search index work as deployed.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--out", type=Path, default=Path("shots"))
    parser.add_argument("--full-page", action="store_true")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(args.folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for name, width, height in (("phone", 390, 844), ("desktop", 1280, 900)):
            page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=1)
            for path in args.paths:
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                target = args.out / f"{path.strip('/').replace('/', '_') or 'home'}-{name}.png"
                page.screenshot(path=str(target), full_page=args.full_page)
                print(target)
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
