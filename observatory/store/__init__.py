"""The only place with SQL: connection, migrations and one module per aggregate."""

from observatory.store.db import StoreError, connect, migrate, schema_version, transaction

__all__ = ["StoreError", "connect", "migrate", "schema_version", "transaction"]
