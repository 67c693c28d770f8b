"""The benchmark (`python -m dashboard bench`), kept outside the runtime package."""
