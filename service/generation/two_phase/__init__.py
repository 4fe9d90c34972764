"""The two-phase strategy: objects, then links, each under a
grammar, for small models."""
