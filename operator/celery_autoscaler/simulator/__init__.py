"""simulator of the autoscaling operator."""
