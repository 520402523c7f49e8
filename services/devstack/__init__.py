"""Local development stack: Redis and Postgres servers in a state directory, and the demo.
The integration tests start their servers with the same code."""
