"""Use cases and the ports infrastructure implements. No Celery, Redis, SQL or HTTP here."""
