"""Where the app's static files and fonts are: PDFs may read these and nothing else."""

from pathlib import Path

STATIC = Path(__file__).resolve().parent.parent / "static"
#: Where the fonts the templates name live: the app's own, then the system's DejaVu.
FONT_DIRS = (STATIC / "fonts", Path("/usr/share/fonts/truetype/dejavu"))
