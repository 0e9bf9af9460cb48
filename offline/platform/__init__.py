"""The reference platform: development, demos and tests only, never production."""
