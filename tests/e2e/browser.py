"""Headless Chromium from Debian's packages, driven by Selenium (no browser download ever).

``CI=true`` and no Chromium: the browser tests fail loudly; elsewhere they are skipped with
the reason. ``.ci/run`` installs chromium and chromium-driver when they are missing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("SEBAYA_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("SEBAYA_CHROMEDRIVER", "/usr/bin/chromedriver")
PHONE = (390, 844)


def missing() -> str:
    """Why no browser test can run here ("" when one can)."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (Path(path).exists() or shutil.which(path)):
            return f"{path} not found (apt-get install -y {package})"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    return ""


def require_browser() -> None:
    reason = missing()
    if reason and os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser test needs Chromium in CI: {reason}")
    if reason:
        pytest.skip(f"no browser: {reason}")


def chromium(profile: Path, size: tuple[int, int] = PHONE):
    """A fresh headless Chromium with a phone-sized window and its own profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}",
                 "--force-device-scale-factor=1", "--lang=id"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    # a desktop window is at least 500 px wide: emulate the phone's viewport instead
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": True})
    return driver
