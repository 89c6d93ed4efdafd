"""Reading a pack's files, from a folder or an uploaded zip, and its YAML with line numbers.

An author fixes a pack by its errors, so every error names a file and, where there is one, a
line: the YAML loader here keeps the line of each mapping, list and key. An uploaded zip is
untrusted: it is read in memory, refusing path tricks, links and oversized content.
"""

from __future__ import annotations

import io
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml

from lms.i18n import gettext_if_request as _

ZIP_MAX_FILES = 500
ZIP_MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class PackError:
    """One problem of a pack, where it is."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


class PackInvalid(Exception):
    """A pack that cannot be imported; ``errors`` says every reason."""

    def __init__(self, errors: list[PackError]):
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


# --- YAML with line numbers -------------------------------------------------------------------


class LineMap(dict):
    """A YAML mapping that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict


class LineList(list):
    """A YAML list that remembers its line."""

    line: int = 0


class LineLoader(yaml.SafeLoader):
    """A safe loader whose mappings and lists carry their line numbers (1-based)."""


def _construct_map(loader: LineLoader, node: yaml.MappingNode) -> LineMap:
    loader.flatten_mapping(node)
    result = LineMap()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str | int | bool | float) or key is None:
            loader.problems.append((line, _("a key must be plain text")))
            continue
        if key in result:
            loader.problems.append((line, _("duplicate key “%(key)s”", key=key)))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _construct_seq(loader: LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    return result


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)


def plain(value):
    """Strip the line marks: pack data is plain dicts and lists."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def unmarked(value):
    """Plain data (from a form) in the loader's shape, without line numbers."""
    if isinstance(value, dict):
        result = LineMap({k: unmarked(v) for k, v in value.items()})
        result.key_lines = {}
        return result
    if isinstance(value, list):
        return LineList(unmarked(v) for v in value)
    return value


# --- Reading a pack's files -------------------------------------------------------------------


def read_folder(path: str | Path) -> dict[str, bytes]:
    """Every file of a pack folder by its relative POSIX path (hidden files skipped)."""
    root = Path(path)
    if not (root / "course.yaml").is_file():
        raise PackInvalid([PackError(str(root), None, _("not a course pack: course.yaml is missing"))])
    files = {}
    for item in sorted(root.rglob("*")):
        relative = item.relative_to(root)
        if item.is_file() and not any(part.startswith(".") for part in relative.parts):
            files[relative.as_posix()] = item.read_bytes()
    return files


def read_zip(data: bytes, max_bytes: int = ZIP_MAX_BYTES) -> dict[str, bytes]:
    """The files of an uploaded pack zip, refusing path tricks, links and oversized content.

    The pack may sit at the zip's root or inside one top folder. Nothing is written to disk.
    """
    name = _("the uploaded file")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise PackInvalid([PackError(name, None, _("this is not a zip file"))]) from None
    errors, files, total = [], {}, 0
    infos = [i for i in archive.infolist() if not i.is_dir()]
    if len(infos) > ZIP_MAX_FILES:
        raise PackInvalid([PackError(name, None, _("the zip holds more than %(n)d files", n=ZIP_MAX_FILES))])
    for info in infos:
        member = info.filename
        parts = PurePosixPath(member).parts
        if member.startswith("/") or "\\" in member or ".." in parts or ":" in member or not parts:
            errors.append(PackError(member, None, _("unsafe path in the zip")))
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            errors.append(PackError(member, None, _("links are not allowed in a pack")))
            continue
        total += info.file_size
        if total > max_bytes:
            raise PackInvalid([PackError(name, None, _("the unpacked pack is larger than the limit"))])
        if any(part.startswith(".") or part == "__MACOSX" for part in parts):
            continue
        try:
            files[member] = archive.read(info)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
            # A bad CRC or truncated data, an unknown compression method, an encrypted member.
            errors.append(PackError(member, None, _("this file is damaged in the zip or cannot be unpacked")))
    if errors:
        raise PackInvalid(errors)
    tops = {PurePosixPath(m).parts[0] for m in files}
    if "course.yaml" not in files and len(tops) == 1:
        top = tops.pop()
        files = {m[len(top) + 1 :]: content for m, content in files.items()}
    if "course.yaml" not in files:
        raise PackInvalid([PackError(name, None, _("not a course pack: course.yaml is missing"))])
    return files
