"""Browser tests of the search page and the agent panel (Playwright + Debian chromium)."""
