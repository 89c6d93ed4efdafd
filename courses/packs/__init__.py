"""Course packs: folders or zips of YAML and Markdown, read, checked, imported and exported."""
