"""Packaged data: the demo catalog."""
