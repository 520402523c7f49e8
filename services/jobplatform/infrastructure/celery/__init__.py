"""The Celery adapter: app, thin tasks, publish and worker hooks."""
