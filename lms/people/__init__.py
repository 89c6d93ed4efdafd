"""People: the office's list, edits and roles (``directory``), and importing thousands from a spreadsheet
(``spreadsheets`` reads the file, ``importing`` plans and applies it, ``uploads`` keeps it between the two pages).
"""
