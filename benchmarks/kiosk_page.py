"""The kiosk's home screen: how much it loads, from where, and how fast, in Debian's Chromium
against a real `hallq serve` on this machine (a LAN adds its round trips to these times).

    .venv/bin/python benchmarks/kiosk_page.py [--runs 5]

Each run opens the kiosk in a new browser context (cold cache) and measures until the
departments are on screen. Every request must go to the server itself: the hall has no internet.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Response, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live.conftest import new_hall  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="hallq-page-"))
    shutil.copytree(ROOT / "config", root / "config")
    hall = new_hall(root)
    port = hall.port
    token = hall.hallq("token", "issue", "--device", "K1").strip()
    server = hall.serve(root / "server.log")
    shown, loaded, sizes, counts, foreign = [], [], [], [], set()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=shutil.which("chromium"),
                args=["--no-sandbox", "--disable-background-networking"],
            )
            for _ in range(args.runs):
                context = browser.new_context(viewport={"width": 1080, "height": 1920}, has_touch=True)
                page = context.new_page()
                responses: list[Response] = []
                page.on("response", responses.append)
                page.on("request", lambda r: foreign.add(r.url) if urlsplit(r.url).port != port else None)
                t0 = time.perf_counter()
                page.goto(f"{hall.url}/kiosk/K1?token={token}")
                page.wait_for_selector(".departments .tile")
                shown.append((time.perf_counter() - t0) * 1000)
                loaded.append(page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd"))
                page.wait_for_load_state("networkidle")
                sizes.append(sum(len(r.body()) for r in responses if r.status == 200))
                counts.append(len(responses))
                context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=15)
        shutil.rmtree(root, ignore_errors=True)
    print(f"runs: {args.runs} (cold cache each)")
    print(f"requests: {max(counts)}, bytes transferred (uncompressed): {max(sizes):,}")
    print(f"requests to anywhere but the server: {len(foreign)}")
    print(
        f"home screen shown (navigation to departments visible): median {statistics.median(shown):.0f} ms, max {max(shown):.0f} ms"
    )
    print(f"load event: median {statistics.median(loaded):.0f} ms, max {max(loaded):.0f} ms")


if __name__ == "__main__":
    main()
