"""Views of the runs app."""
