"""Make docs/screenshot.png: Build & Train after a short digits run, in headless Chromium.

Run from the project root:  python scripts/readme_screenshot.py
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, Server  # noqa: E402


def main() -> None:
    server = Server(Path("/tmp/readme_screenshot.log"))
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 3400})
            page.set_default_timeout(120_000)
            page.goto(server.url + "/build_train?epochs=12")
            page.get_by_text(re.compile(r"[\d,]+ parameters")).first.wait_for()
            page.get_by_role("button", name="Train", exact=True).click()
            page.get_by_text("Test accuracy", exact=True).wait_for()
            page.wait_for_timeout(3000)
            clip = {"x": 0, "y": 0, "width": 1400, "height": 2950}
            page.screenshot(path=str(ROOT / "docs" / "screenshot.png"), clip=clip)
            browser.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
