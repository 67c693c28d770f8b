"""Core: the viewer and its permissions, settings, filters, periods, TLP order, vocabulary files, page registry.

Imports nothing else of the package.
"""
