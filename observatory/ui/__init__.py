"""Helpers shared by the pages: map builders (escaping lives here), charts, formatting."""
