"""Certificates: issued at completion (``issuing``), rendered (``rendering``), found and verified by their codes
(``lookup``, ``codes``), zipped for the office (``exports``), of attendance (``attendance``), and their pages."""
