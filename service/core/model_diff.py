"""What an edit changed: objects added, removed and changed, with attribute and link changes.

Objects are matched by id (edits never rename one). The summary is data (the API's `diff`,
the CLI's `--report`) and renders as a few lines for the terminal.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from instancegen.service.core.cim import Cim, CimObject, Value


class ObjectRef(BaseModel):
    id: str
    class_: str = Field(alias="class")

    model_config = {"populate_by_name": True}


class AttributeChange(BaseModel):
    feature: str
    old: Value = None
    new: Value = None


class LinkChange(BaseModel):
    feature: str
    added: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    reordered: bool = False


class ObjectChange(BaseModel):
    id: str
    class_: str = Field(alias="class")
    attributes: list[AttributeChange] = Field(default_factory=list)
    links: list[LinkChange] = Field(default_factory=list)

    model_config = {"populate_by_name": True}


class ModelDiff(BaseModel):
    """Objects added, removed and changed between two versions of a model."""

    added: list[ObjectRef] = Field(default_factory=list)
    removed: list[ObjectRef] = Field(default_factory=list)
    changed: list[ObjectChange] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def lines(self) -> list[str]:
        """The summary for people: one line per object, one more per changed feature."""
        out = [f"+ {o.id} ({o.class_})" for o in self.added]
        out += [f"- {o.id} ({o.class_})" for o in self.removed]
        for c in self.changed:
            out.append(f"~ {c.id} ({c.class_})")
            for a in c.attributes:
                out.append(f"    {a.feature}: {_show(a.old)} -> {_show(a.new)}")
            for link in c.links:
                parts = [f"+{t}" for t in link.added] + [f"-{t}" for t in link.removed]
                if link.reordered:
                    parts.append("reordered")
                out.append(f"    {link.feature}: {' '.join(parts)}")
        return out

    def counts(self) -> str:
        return f"{len(self.added)} added, {len(self.removed)} removed, {len(self.changed)} changed"


def diff_models(before: Cim, after: Cim) -> ModelDiff:
    """The changes from `before` to `after`, in each model's object order."""
    old = {o.id: o for o in before.objects}
    new = {o.id: o for o in after.objects}
    diff = ModelDiff(
        added=[ObjectRef(id=o.id, class_=o.class_) for o in after.objects if o.id not in old],
        removed=[ObjectRef(id=o.id, class_=o.class_) for o in before.objects if o.id not in new],
    )
    for o in after.objects:
        was = old.get(o.id)
        if was is not None and was != o:
            diff.changed.append(_object_change(was, o))
    return diff


def _object_change(was: CimObject, now: CimObject) -> ObjectChange:
    change = ObjectChange(id=now.id, class_=now.class_)
    for name in dict.fromkeys([*was.attributes, *now.attributes]):
        a, b = was.attributes.get(name), now.attributes.get(name)
        if a != b:
            change.attributes.append(AttributeChange(feature=name, old=a, new=b))
    for name in dict.fromkeys([*was.references, *now.references]):
        a_list, b_list = was.references.get(name, []), now.references.get(name, [])
        if a_list != b_list:
            change.links.append(
                LinkChange(
                    feature=name,
                    added=[t for t in b_list if t not in a_list],
                    removed=[t for t in a_list if t not in b_list],
                    reordered=sorted(a_list) == sorted(b_list),
                )
            )
    return change


def _show(value: Value) -> str:
    return "(unset)" if value is None else repr(value)
