"""actuators of the autoscaling operator."""
