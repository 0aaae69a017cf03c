"""The commune/EPCI referential: build it from public data, load it for a territory."""
