"""Files a reporter attaches: a few harmless kinds, small, with what they say about their author removed.

Photos carry EXIF (the camera, often the place and the time) and PDFs their author, software and
dates; both are rewritten without them before being encrypted. A file that is not what its name
says, or that cannot be read, is refused.
"""

import io
from dataclasses import dataclass
from pathlib import PurePath

from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError

#: The kinds accepted, by extension: their content type.
KINDS = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".txt": "text/plain",
}
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 5


class FileRefused(Exception):
    """A file of a kind not accepted, too large, or unreadable; ``reason`` is one of the codes below."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  #: "kind", "size" or "unreadable"


@dataclass(frozen=True)
class CleanFile:
    name: str
    content_type: str
    data: bytes


def clean(filename: str, data: bytes) -> CleanFile:
    """The file as it will be kept: name without folders, content without metadata."""
    name = PurePath(filename.replace("\\", "/")).name[-120:] or "file"
    extension = PurePath(name).suffix.lower()
    if extension not in KINDS:
        raise FileRefused("kind")
    if len(data) > MAX_FILE_BYTES:
        raise FileRefused("size")
    content_type = KINDS[extension]
    cleaners = {"application/pdf": _clean_pdf, "image/jpeg": _clean_image, "image/png": _clean_image}
    cleaner = cleaners.get(content_type, _clean_text)
    return CleanFile(name, content_type, cleaner(data))


def _clean_image(data: bytes) -> bytes:
    """The pixels alone, saved again: EXIF, XMP, comments and text chunks are left behind."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format = image.format
            if image_format not in ("JPEG", "PNG"):
                raise FileRefused("kind")
            image.load()
            pixels = image.convert("RGBA") if image.mode == "P" else image  # a palette would not be copied
            bare = Image.new(pixels.mode, pixels.size)
            bare.paste(pixels)
    except (UnidentifiedImageError, OSError) as error:
        raise FileRefused("unreadable") from error
    out = io.BytesIO()
    bare.save(out, format=image_format)
    return out.getvalue()


def _clean_pdf(data: bytes) -> bytes:
    """The pages alone in a new document: the information dictionary and XMP metadata are not copied."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise FileRefused("unreadable")
        writer = PdfWriter()
        for page in reader.pages:
            writer.add_page(page)
        writer.metadata = None
        out = io.BytesIO()
        writer.write(out)
    except (PdfReadError, ValueError, KeyError) as error:
        raise FileRefused("unreadable") from error
    return out.getvalue()


def _clean_text(data: bytes) -> bytes:
    """Text must be UTF-8 text (no binary smuggled under a .txt name)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise FileRefused("unreadable") from error
    return data
