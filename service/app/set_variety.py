"""What a set's next member is shown of the members kept: the shapes and values already used,
so that it varies what the spec leaves open instead of repeating the first, obvious model.

The note lists each kept member's object counts per class and, per string attribute, the
values the members used, leaving out the values the spec states (`judging.stated_by`): those
stay fixed in every member, and the note says so. It is bounded (MAX_VALUES per attribute,
MAX_FEATURES attributes, MAX_CHARS per value) so that a small model's prompt stays short.
A small model tends to copy what its prompt shows, so `avoided` gives every used value, per
feature name, for a backend that can keep its decoding off them (the in-process one:
`backends.local_steering`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence

from instancegen.service.core.cim import Cim
from instancegen.service.generation.judging import stated_by
from instancegen.service.generation.options import Avoid

MAX_VALUES = 6  # values shown per attribute (the latest members' first)
MAX_FEATURES = 10  # attributes shown
MAX_CHARS = 32  # characters per value shown


def variety_note(kept: Sequence[Cim], spec: str) -> str | None:
    """The note for the next member given the members `kept` so far; None for the first."""
    if not kept:
        return None
    lines = [
        "Models already in the set (make this one different: other names and values, other "
        "numbers of objects, wherever the specification leaves them open; keep every value "
        "the specification states):"
    ]
    for n, cim in enumerate(kept, 1):
        counts = Counter(o.class_ for o in cim.objects)
        lines.append(f"- model {n}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    used = _used_values(kept, spec)
    if used:
        lines.append("Values already used (choose others):")
        for feature, values in list(used.items())[:MAX_FEATURES]:
            shown = ", ".join(json.dumps(v[:MAX_CHARS], ensure_ascii=False) for v in values)
            lines.append(f"- {feature}: {shown}")
    return "\n".join(lines)


def avoided(kept: Sequence[Cim], spec: str) -> Avoid:
    """Per feature name (whatever the class: a lecturer named as a kept student is a copy
    too), every string value the members `kept` used that the spec does not state: what a
    backend that steers its decoding keeps the next member off."""
    used: dict[str, list[str]] = {}
    for key, values in _used_values(kept, spec, limit=None).items():
        feature = used.setdefault(key.split(".", 1)[1], [])
        feature.extend(v for v in values if v not in feature)
    return tuple((name, tuple(values)) for name, values in sorted(used.items()))


def _used_values(
    kept: Sequence[Cim], spec: str, limit: int | None = MAX_VALUES
) -> dict[str, list[str]]:
    """`Class.feature` -> the string values the members used that the spec does not state,
    the latest member's first, without repeats, at most `limit`."""
    used: dict[str, list[str]] = {}
    for cim in reversed(kept):
        for o in cim.objects:
            for name, value in o.attributes.items():
                if not isinstance(value, str) or not value.strip() or stated_by(spec, value):
                    continue
                values = used.setdefault(f"{o.class_}.{name}", [])
                if value not in values and (limit is None or len(values) < limit):
                    values.append(value)
    return used
