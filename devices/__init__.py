"""Peripheral drivers and their simulators; no Textual, no SQLite."""
