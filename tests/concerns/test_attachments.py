"""Attachments keep their content and lose what they say about their author (pure functions, no app)."""

import io

import pytest
from PIL import Image, PngImagePlugin
from pypdf import PdfReader, PdfWriter

from concerns.attachments import MAX_FILE_BYTES, FileRefused, clean


def _pdf(author="Secret Author", password=None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_metadata({"/Author": author, "/Creator": "SecretCreatorApp", "/Title": "Internal memo"})
    if password:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_keeps_its_pages_and_loses_its_author_and_software():
    raw = _pdf()
    assert b"Secret Author" in raw
    cleaned = clean("memo.pdf", raw)
    assert cleaned.content_type == "application/pdf"
    assert b"Secret Author" not in cleaned.data and b"SecretCreatorApp" not in cleaned.data
    reader = PdfReader(io.BytesIO(cleaned.data))
    assert len(reader.pages) == 1 and not (reader.metadata or {}).get("/Author")


def test_a_png_loses_its_text_chunks():
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Secret Photographer")
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(out, format="PNG", pnginfo=info)
    cleaned = clean("shot.PNG", out.getvalue())
    assert b"Secret Photographer" in out.getvalue() and b"Secret Photographer" not in cleaned.data
    assert Image.open(io.BytesIO(cleaned.data)).size == (8, 8)


def test_a_palette_png_keeps_its_colours():
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").convert("P", palette=Image.Palette.ADAPTIVE).save(out, format="PNG")
    cleaned = Image.open(io.BytesIO(clean("p.png", out.getvalue()).data)).convert("RGB")
    assert cleaned.getpixel((0, 0)) == (255, 0, 0)


#: Each file is made when its test runs: made at collection, the locked PDF's random key would give
#: each xdist worker a different test id (and the ids would carry whole files).
REFUSED = {
    "run.exe": (lambda: b"MZ", "kind"),
    "photo.png": (lambda: b"not a picture", "unreadable"),
    "photo.jpg": (_pdf, "unreadable"),
    "locked.pdf": (lambda: _pdf(password="secret"), "unreadable"),
    "notes.txt": (lambda: b"\xff\xfe\x00binary", "unreadable"),
    "big.txt": (lambda: b"a" * (MAX_FILE_BYTES + 1), "size"),
}


@pytest.mark.parametrize("name", REFUSED)
def test_files_that_are_not_what_they_say_are_refused(name):
    make, reason = REFUSED[name]
    with pytest.raises(FileRefused) as refused:
        clean(name, make())
    assert refused.value.reason == reason


def test_a_file_name_loses_its_folders():
    assert clean("C:\\Users\\aigerim\\Desktop\\notes.txt", b"hello").name == "notes.txt"
    assert clean("../../etc/notes.txt", b"hello").name == "notes.txt"
