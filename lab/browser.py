"""A real browser on the controller: Debian's chromium, driven through
Debian's chromium-driver by Selenium (no browser download).

    with browser.open(url) as page:
        page.driver.find_elements(...)
        page.screenshot("artifacts/monitor/monitor.png")

The browser may talk to the lab address it was opened on and to nothing
else: every other request goes to a proxy on loopback that does not exist,
and Chrome's background services (updates, sync, safe browsing) are off.
"""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@dataclass
class Page:
    driver: object

    def screenshot(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not self.driver.save_screenshot(str(path)):  # type: ignore[attr-defined]
            raise RuntimeError(f"chromium could not save a screenshot to {path}")
        return path


def available() -> str | None:
    """Why the browser cannot run here, or None when it can."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not shutil.which(p)]
    if missing:
        return f"{', '.join(missing)} missing: scripts/setup host installs Debian's chromium and chromium-driver"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (requirements.txt)"
    return None


@contextmanager
def open_page(url: str, width: int = 1280, height: int = 900, headers: dict[str, str] | None = None) -> Iterator[Page]:
    """The page in chromium; headers (an Authorization) go with every request it makes."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    host = urlsplit(url).hostname
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={width},{height}", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
                "--disable-domain-reliability", "--disable-client-side-phishing-detection", "--metrics-recording-only",
                "--proxy-server=127.0.0.1:9", f"--proxy-bypass-list={host}",
                "--dns-prefetch-disable"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try:
        driver.set_page_load_timeout(20)
        if headers:
            driver.execute_cdp_cmd("Network.enable", {})
            driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": headers})
        driver.get(url)
        yield Page(driver)
    finally:
        driver.quit()
