"""The office's events: editing events and sessions, their pages, downloads and the printable sign-in sheet."""
