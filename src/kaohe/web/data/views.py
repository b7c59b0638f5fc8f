"""Views of the data app."""
