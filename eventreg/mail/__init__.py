"""Email: what each email to an attendee says and when it is queued (notifications.py), the
outbox written with each change (outbox.py), absolute links (links.py), building messages
(messages.py) and the sender that renders and delivers them over SMTP or into a folder
(sender.py). Nothing here imports the services or a blueprint."""
