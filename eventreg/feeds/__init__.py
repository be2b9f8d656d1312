"""iCalendar feeds: pure builders in `ical`, HTTP (caching, 304) in `views`."""
