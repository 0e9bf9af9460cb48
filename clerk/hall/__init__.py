"""The hall queue service on the LAN: one ticket sequence for every window of a hall."""
