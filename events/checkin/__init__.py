"""Check-in at the door: by ticket code, QR code or a walk-in's name (``door``), and the phone's page."""
