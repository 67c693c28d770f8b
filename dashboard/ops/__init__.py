"""Operations: bootstrap (schema, reference, demo accounts), synthetic demo data, backup and restore.

Imports core, store, read, ingest, accounts.
"""
