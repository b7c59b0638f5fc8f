"""Views of the schemes app."""
