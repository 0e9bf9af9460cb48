"""window-clerk: the window clerk client of township public-service centres."""

__version__ = "0.1.0"
