"""Views of the org app."""
