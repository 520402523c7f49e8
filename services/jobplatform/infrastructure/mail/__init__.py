"""The mail port over SMTP."""
