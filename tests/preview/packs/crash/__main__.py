"""A pack that fails while loading its rules."""

raise RuntimeError("rules module is broken: no such rule 'docker-container-require-x'")
