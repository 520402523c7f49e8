"""One handler per job type: the application side of each type in the domain catalog."""
