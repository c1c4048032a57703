"""Browser tests of the /ui workbench (headless Debian chromium driven by Playwright)."""
