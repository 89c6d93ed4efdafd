"""The demo university (``university``: units, people, one of each role, the seeders of every feature) and its names."""
