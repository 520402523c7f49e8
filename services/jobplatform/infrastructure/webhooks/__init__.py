"""The webhook sender on httpx."""
