"""The delivery engine: the only code that sends (and recalls) broadcasts."""
