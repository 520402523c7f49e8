"""Local autoscaling demo: the operator's probe and policy driving local Celery workers."""
