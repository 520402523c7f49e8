"""Job type specifications: name, payload schema, queue and retry policy of each type."""
