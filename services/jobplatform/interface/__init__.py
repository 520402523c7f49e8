"""HTTP API and CLI: they parse, authenticate and hand over to the application layer."""
