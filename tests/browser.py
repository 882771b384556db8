"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, with every network request blocked."""
import os
import shutil

import pytest

CHROMIUM = os.environ.get("COLLABNET_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def have_browser() -> bool:
    import importlib.util
    if importlib.util.find_spec("playwright") is None:
        return False
    return os.path.exists(CHROMIUM) or shutil.which("chromium") is not None


needs_browser = pytest.mark.skipif(not have_browser(), reason="needs playwright and Debian's chromium")


class Page:
    """Open a local file; record console errors, page errors, dialogs and every request the page makes."""

    def __init__(self, path, wait_ms=0, viewport=(1200, 900)):
        from playwright.sync_api import sync_playwright
        self._pw = sync_playwright().start()
        self.browser = self._pw.chromium.launch(executable_path=CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"),
                                                args=ARGS)
        self.page = self.browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
        self.console_errors, self.page_errors, self.dialogs, self.requests = [], [], [], []
        self.page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        url = "file://" + os.path.abspath(path)

        def route(r):
            if r.request.url != url and not r.request.url.startswith("data:"):
                self.requests.append(r.request.url)
                return r.abort()
            return r.continue_()
        self.page.route("**/*", route)
        self.page.goto(url)
        if wait_ms:
            self.page.wait_for_timeout(wait_ms)

    def close(self):
        self.browser.close()
        self._pw.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
