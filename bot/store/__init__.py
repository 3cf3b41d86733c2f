"""Durable state in SQLite (WAL, one writer). Queries are grouped per aggregate module."""
