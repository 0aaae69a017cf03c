"""Observatory of the 'lieux de lien social' of a French territory (PETR de l'Ariège by default)."""

__version__ = "0.1.0"
