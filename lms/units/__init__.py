"""The org tree of faculties, departments and offices (``tree``) and the office's pages for it."""
