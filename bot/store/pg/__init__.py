"""PostgreSQL behind the store port (bot/store/port.py)."""
