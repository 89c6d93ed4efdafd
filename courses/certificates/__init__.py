"""Certificates: issued at completion (``issuing``), codes anyone can verify, attendance certificates, their pages."""
