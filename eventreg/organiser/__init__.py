"""The organiser area: accounts, events, registrations, check-in and follow-up."""
