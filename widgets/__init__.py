"""Textual widgets: show data, send messages up; no I/O."""
