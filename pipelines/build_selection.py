"""Which dbt models a build can leave out: those whose inputs did not change since the last
complete build.

A model's inputs are the raw tables it reads (directly or through other models), the as-of time
when it reads it, and its code. A model is current, and left out of the build, when

* none of the raw tables upstream of it got, lost or replaced a file since the last complete
  build (the raw layer is written once per file, so its files' names, sizes and times say so),
* it does not read the as-of time, directly or through a model upstream of it, or the as-of time
  is the same as that build's, and
* that build did not leave it out (a model held by a failed check is built again as soon as the
  hold ends, whatever changed).

The rest is built, with everything downstream of it. Models that gather every KPI or need no raw
data (the fan-in and definition models the published file waits for) are always built. Another
dbt project (definitions or code), engine or a backfill makes every model changed
(`pipelines.build_state.changes_since` returns None then).

Reading the as-of time is decided from the code: a model whose SQL, or a macro it calls (through
other macros too), names `as_of` reads it. The staging view of the run context is not counted: it
only passes the run's values through, and each model that uses them names them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pipelines.build_state import Changes
from pipelines.checks.holds import never_held_models

AS_OF_NAME = re.compile(r"\bas_of")
RUN_CONTEXT_MODEL = "model.kpi_warehouse.stg_pipeline__run_context"
PROJECT_MACROS = "macro.kpi_warehouse."  # dbt's and the adapters' macros read no run values


def _models(manifest: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {u: n for u, n in manifest["nodes"].items() if n["resource_type"] == "model"}


def macros_reading_as_of(manifest: Mapping[str, Any]) -> set[str]:
    """The project's macros whose code names `as_of`, and every macro calling one of them."""
    macros = manifest.get("macros") or {}
    reading = {
        uid
        for uid, macro in macros.items()
        if uid.startswith(PROJECT_MACROS) and AS_OF_NAME.search(macro.get("macro_sql") or "")
    }
    grew = True
    while grew:
        grew = False
        for uid, macro in macros.items():
            calls = set((macro.get("depends_on") or {}).get("macros") or [])
            if uid not in reading and calls & reading:
                reading.add(uid)
                grew = True
    return reading


def models_reading_as_of(manifest: Mapping[str, Any]) -> set[str]:
    """Models whose own SQL or macros name the as-of time (the run context's view aside)."""
    macros = macros_reading_as_of(manifest)
    return {
        uid
        for uid, node in _models(manifest).items()
        if uid != RUN_CONTEXT_MODEL
        and (
            AS_OF_NAME.search(node.get("raw_code") or "")
            or set((node.get("depends_on") or {}).get("macros") or []) & macros
        )
    }


def _downstream_models(manifest: Mapping[str, Any], starts: Iterable[str]) -> set[str]:
    children = manifest["child_map"]
    models = _models(manifest)
    seen: set[str] = set()
    queue = list(starts)
    while queue:
        uid = queue.pop()
        if uid in seen:
            continue
        seen.add(uid)
        queue.extend(children.get(uid, []))
    return {uid for uid in seen if uid in models}


def models_to_build(manifest: Mapping[str, Any], changes: Changes) -> set[str]:
    """The unique ids of the models whose inputs changed, everything downstream of them, and the
    models that are always built."""
    names = {uid.split(".")[-1]: uid for uid in _models(manifest)}
    starts = [
        uid
        for uid, node in manifest["sources"].items()
        if (node.get("identifier") or node["name"]) in changes.tables
    ]
    if changes.as_of_moved:
        starts += models_reading_as_of(manifest)
    starts += [names[name] for name in changes.left_out if name in names]
    return _downstream_models(manifest, starts) | never_held_models(manifest)


def current_models(manifest: Mapping[str, Any], changes: Changes) -> list[str]:
    """The names of the models a build can leave out (dbt `--exclude` arguments): their tables
    are those of the last complete build, computed from the same inputs."""
    build = models_to_build(manifest, changes)
    return sorted(
        node["name"]
        for uid, node in _models(manifest).items()
        if uid not in build and (node.get("config") or {}).get("materialized") != "ephemeral"
    )
