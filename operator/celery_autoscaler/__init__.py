"""Celery-aware autoscaling operator: WorkerPool objects in, Deployment replicas out."""
