"""Present: palette, display labels, chart and map builders (DataFrame -> Figure).

Imports core, store, analysis.
"""
