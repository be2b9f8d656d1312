"""Administration: themes, resources, organisations, users and the audit log."""
