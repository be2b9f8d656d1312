"""Service functions: the rules and queries. They add and flush; callers commit."""
