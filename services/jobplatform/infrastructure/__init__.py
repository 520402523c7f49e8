"""Adapters: Celery, Redis, SQLAlchemy, logging, metrics. Implements the application's ports."""
