"""Ingest: read -> map columns -> normalise -> validate -> diff -> commit as a dataset version."""
