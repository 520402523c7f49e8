"""alerts of the autoscaling operator."""
