"""Configuration classes for Filmportalen; see config/settings.py."""
