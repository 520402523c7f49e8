"""Secret store adapters: files of a mounted Kubernetes Secret."""
