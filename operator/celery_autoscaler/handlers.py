"""kopf wiring (filled in below)."""
