"""Exporting a course version as a pack: the same folder of YAML and Markdown an author writes.

The data is the shape the pack checker returns, so ``load(export(import(pack))) == load(pack)``;
checking a course version before publishing exports it and checks the result. What a question
type writes of its answer is the type's own rule in ``courses.questions``.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from courses.models import Course, ModuleKind, Question
from courses.packs.stored import files_dir, pack_settings
from courses.questions import question_type


def course_data(course: Course) -> dict:
    """A course version as pack data (the inverse of ``import_pack``)."""
    data = {
        "slug": course.slug,
        "version": course.version,
        "default_locale": course.default_locale,
        "audience": course.audience_hint,
        "pass_mark": course.pass_mark,
        "validity_months": course.validity_months,
        "remedial_after_failures": course.remedial_after_failures,
        "title": dict(course.title),
        "description": dict(course.description or {}) or None,
    }
    data = {k: v for k, v in data.items() if v is not None}
    data["modules"] = []
    for module in course.modules:
        item = {"key": module.key, "kind": module.kind, "title": dict(module.title)}
        if not module.required:
            item["required"] = False
        if module.kind == ModuleKind.QUIZ:
            item["settings"] = pack_settings(module.settings or {})
            item["questions"] = [_question_data(q) for q in module.questions]
        else:
            if module.kind == ModuleKind.ATTESTATION:
                item["settings"] = pack_settings(module.settings or {})
            item["body"] = dict(module.body or {})
        data["modules"].append(item)
    folder = files_dir(course)
    data["files"] = (
        {f"files/{p.relative_to(folder).as_posix()}": p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
        if folder.exists()
        else {}
    )
    return data


def _question_data(question: Question) -> dict:
    return {
        "key": question.key,
        "pool": question.pool,
        "kind": question.kind,
        "text": dict(question.text),
        "explanation": dict(question.explanation),
        "points": question.points,
        "options": list(question.options or []),
        "answer": question.answer,
    }


class _Dumper(yaml.SafeDumper):
    """Block-style YAML that keeps key order and writes Kazakh and Russian as they are."""


def _dump(value) -> str:
    return yaml.dump(value, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def pack_files(data: dict) -> dict[str, bytes]:
    """Pack data → the files of its folder."""
    files: dict[str, bytes] = {}
    course = {k: data[k] for k in data if k not in ("modules", "files")}
    modules = []
    for module in data["modules"]:
        entry = {k: module[k] for k in ("key", "kind", "title")}
        if "required" in module:
            entry["required"] = module["required"]
        if module.get("settings"):
            entry["settings"] = module["settings"]
        modules.append(entry)
        for locale, text in module.get("body", {}).items():
            files[f"{module['key']}.{locale}.md"] = text.encode()
        if module["kind"] == ModuleKind.QUIZ:
            questions = []
            for q in module["questions"]:
                entry_q = {k: q[k] for k in ("key", "pool", "kind", "text")}
                if q["options"]:
                    entry_q["options"] = q["options"]
                if question_type(q["kind"]).answer_in_pack:
                    entry_q["answer"] = q["answer"]
                entry_q["explanation"] = q["explanation"]
                if q["points"] != 1:
                    entry_q["points"] = q["points"]
                questions.append(entry_q)
            files[f"{module['key']}.quiz.yaml"] = _dump({"questions": questions}).encode()
    course["modules"] = modules
    files["course.yaml"] = _dump(course).encode()
    files.update(data.get("files", {}))
    return files


def export_course(course: Course, path: str | Path) -> Path:
    """Write a course version as a pack folder at ``path`` (created; must be empty if it exists)."""
    target = Path(path)
    if target.exists() and any(target.iterdir()):
        raise FileExistsError(str(target))
    for name, content in pack_files(course_data(course)).items():
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(content)
    return target
