"""Email: building messages (messages.py), the outbox written with each change (outbox.py)
and the sender that delivers it over SMTP or into a folder (sender.py)."""
