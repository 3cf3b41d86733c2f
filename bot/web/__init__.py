"""The web view for guru BK: live queue, cases, report and health, served by ``sebaya run``.

Signed in from the chat (``/dasbor``), server-rendered, no build step and nothing from a CDN.
See docs/ARCHITECTURE.md, "The web view".
"""
