"""The service model: the application graph, its two placement targets and the wire layer."""
