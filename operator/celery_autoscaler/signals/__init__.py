"""signals of the autoscaling operator."""
