"""People: the office's list, edits and roles (``directory``), and importing thousands from a spreadsheet."""
