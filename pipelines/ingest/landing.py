"""What the landing folder holds that no reader reads, each named with what to do about it.

Readers read their own sub-folder (`pipelines.ingest.sources.SOURCES`) and only the files their
patterns recognise. Anything else would otherwise be ignored in silence: a folder no source reads
yet (`crm/`), a file dropped at the top of the landing folder, or a file a reader does not
recognise (a `.xlsx` in `google_ads/`). Hidden files (`.DS_Store`) and Office lock files (`~$...`)
are not exports and are not named.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def not_an_export(path: Path) -> bool:
    """Hidden files and Office lock files: never read, never reported."""
    return path.name.startswith((".", "~$"))


def _files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and not any(not_an_export(Path(part)) for part in p.relative_to(folder).parts)
    )


def _known(folders: Iterable[str]) -> str:
    return ", ".join(f"{name}/" for name in sorted(folders))


def unrecognised_files(folder: Path, read: Iterable[Path], patterns: Iterable[str]) -> list[str]:
    """A line for each file in a source's folder that its reader does not read."""
    if not folder.is_dir():
        return []
    taken = set(read)
    accepted = ", ".join(patterns)
    return [
        f"{folder.name}/{path.relative_to(folder).as_posix()}: not read, {folder.name}/ reads "
        f"only {accepted} files; download the export again in one of these formats (the file "
        "itself is left as it is)"
        for path in _files(folder)
        if path not in taken
    ]


def files_outside_sources(landing_dir: Path, sources: Iterable[str]) -> list[str]:
    """A line for each folder no source reads (with its files) and each file at the top level."""
    known = sorted(sources)
    if not landing_dir.is_dir():
        return []
    found = []
    for entry in sorted(landing_dir.iterdir()):
        if not_an_export(entry) or entry.name in known:
            continue
        if entry.is_dir():
            files = [p.relative_to(landing_dir).as_posix() for p in _files(entry)]
            if not files:
                continue
            shown = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
            found.append(
                f"{entry.name}/: no source reads this folder yet, so its {len(files)} file(s) "
                f"are not loaded ({shown}); known folders: {_known(known)}"
            )
        elif entry.is_file():
            found.append(
                f"{entry.name}: a file at the top of the landing folder is not read; move it into "
                f"the folder of its source ({_known(known)})"
            )
    return found
