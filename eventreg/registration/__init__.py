"""Sign-up for events and self-service through the manage link (no account needed)."""
