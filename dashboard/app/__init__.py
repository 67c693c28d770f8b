"""App: the only package that imports Streamlit (context, sign-in, widgets and the panels of the pages).

Imports every layer.
"""
