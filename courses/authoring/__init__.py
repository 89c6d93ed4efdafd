"""Writing courses in the browser: drafts (``editing``), publishing (``versioning``), question statistics."""
