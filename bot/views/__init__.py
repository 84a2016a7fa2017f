"""Screens as text: formatting lives here, not in handlers or SQL."""
