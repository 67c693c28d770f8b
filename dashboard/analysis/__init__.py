"""Analysis: trends, briefing figures and the watchlist from scoped reads (pure; no Streamlit).

Imports core, store, read.
"""
