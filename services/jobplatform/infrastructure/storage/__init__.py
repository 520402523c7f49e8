"""Storage adapters: the local filesystem (a volume in Kubernetes)."""
