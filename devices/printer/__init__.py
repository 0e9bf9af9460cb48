"""ESC/POS receipt printers: documents, our own Chinese text path, transports, a spool, a
network-printer simulator and a preview."""
