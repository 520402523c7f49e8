"""import-linter contract types the standard ones do not provide (used by `lint-imports`)."""
