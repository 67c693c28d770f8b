"""Store: engine and sessions, ORM models, migrations, reference vocabularies in the database, audit.

Imports core.
"""
