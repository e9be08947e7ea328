"""What the engine simulates: the request stream, cache stores and their eviction policies,
and the database."""
