"""Database access: pool, migrations and one query module per domain."""
