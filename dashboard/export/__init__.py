"""Export: CSV/XLSX tables and the PDF/HTML briefing.

Imports core, store, read, ingest, analysis, present.
"""
