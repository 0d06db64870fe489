"""YAML documents read with libyaml's parser when PyYAML was built with it.

libyaml's safe loader reads the same documents as PyYAML's pure-Python one, with the same
errors and marks (line and column), about ten times as fast; a run reads some 200 YAML documents
(the KPI definitions and the dbt models' yml), which took over a second with the Python parser.
"""

from __future__ import annotations

from typing import Any

import yaml

SafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """The document in `text` (None for an empty one), as `yaml.safe_load` would return it."""
    return yaml.load(text, Loader=SafeLoader)
