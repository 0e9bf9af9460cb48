"""The only code that touches SQLite and the platform: models, store, outbox, sync."""
