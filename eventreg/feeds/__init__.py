"""iCalendar feeds: pure builders in `ical` and `links` (emails use them too), HTTP (caching,
304) in `views`; which events a feed carries is a query in `services/feeds.py`."""
