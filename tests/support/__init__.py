"""Helpers the test levels share: real servers and real platform processes."""
