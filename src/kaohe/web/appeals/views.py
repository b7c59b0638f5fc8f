"""Views of the appeals app."""
