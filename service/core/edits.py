"""CIM edits (DESIGN.md, "CIM edits — normative"): a change to a model, as data, applied
deterministically by `apply_edits`.

Edits apply in order to a copy of the model; one that cannot apply (an unknown id, class or
feature, a container that cannot hold the object, a reference to an object that does not
exist at that point) is skipped and reported as an `Issue` naming the edit, never raised.
What `apply_edits` adjusts on its own follows EMF's semantics, so the result is what the
same changes made in EMF would give:
- eOpposite pairs: linking `a.x -> b` adds `a` to `b`'s opposite end where `b` gives it (an
  end left out stays implied by the other), unlinking removes it, and a single-valued end that
  gets a new target lets go of its old one (on both sides).
- Containment: an object put into a container leaves its previous one.
- `delete` removes the object, everything it contains (transitively) and every reference to
  any of them.
Objects no edit touches keep their values and order exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from instancegen.service.core.cim import Cim, CimObject, Value, describe_validation_error
from instancegen.service.core.errors import InputError
from instancegen.service.core.issues import Issue
from instancegen.service.core.metamodel import Attribute, EClassView, Metamodel, Reference


class _Edit(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class AddEdit(_Edit):
    """A new object, put into `container` (`[owner id, containment feature]`) or a new root."""

    op: Literal["add"] = "add"
    object: CimObject
    container: tuple[str, str] | None = Field(
        None, description="[owner id, containment feature]; absent: the object is a new root."
    )


class SetEdit(_Edit):
    """An attribute's value (`null` unsets it) or a reference's full new list of ids."""

    op: Literal["set"] = "set"
    id: str
    feature: str
    value: Value = Field(description="As in the CIM; a reference takes the full list of ids.")


class DeleteEdit(_Edit):
    """The object, everything it contains, and every reference to them."""

    op: Literal["delete"] = "delete"
    id: str


Edit = Annotated[AddEdit | SetEdit | DeleteEdit, Field(discriminator="op")]


class EditList(_Edit):
    """`{"edits": [...]}` as DESIGN.md spells it."""

    edits: list[Edit] = Field(default_factory=list)


def parse_edits(data: bytes | str, name: str = "edits") -> EditList:
    """`{"edits": [...]}` from JSON text; errors name the wrong field in one sentence."""
    try:
        return EditList.model_validate_json(data)
    except ValidationError as exc:
        raise InputError(f"{name}: {describe_validation_error(exc)}") from None


class EditOutcome(BaseModel):
    """The edited model and the findings of edits that did not apply (or were adjusted)."""

    cim: Cim
    issues: list[Issue] = Field(default_factory=list)


def apply_edits(
    cim: Cim, edits: EditList | list[Edit] | list[dict[str, object]], metamodel: Metamodel
) -> EditOutcome:
    """`cim` with `edits` applied in order. `cim` itself is left as it was; the result shares
    the objects no edit touched with it (copy it before changing those in place)."""
    if isinstance(edits, EditList):
        items = edits.edits
    else:
        items = EditList.model_validate({"edits": edits}).edits
    state = _State(metamodel, list(cim.objects))
    for n, edit in enumerate(items, start=1):
        state.number = n
        if isinstance(edit, AddEdit):
            state.add_object(edit)
        elif isinstance(edit, SetEdit):
            state.set_feature(edit.id, edit.feature, edit.value)
        else:
            state.delete_object(edit.id)
    return EditOutcome(
        cim=Cim.model_construct(objects=list(state.objects.values())), issues=state.issues
    )


def _copy(o: CimObject) -> CimObject:
    """A copy whose maps may change; values and id lists are shared, as `_State` only ever
    replaces them, never changes one in place."""
    return CimObject.model_construct(
        id=o.id, class_=o.class_, attributes=dict(o.attributes), references=dict(o.references)
    )


class _Refused(Exception):
    """An edit that cannot apply; becomes an Issue."""

    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint


@dataclass
class _State:
    mm: Metamodel
    listed: list[CimObject]
    objects: dict[str, CimObject] = field(init=False)
    issues: list[Issue] = field(default_factory=list)
    number: int = 0

    def __post_init__(self) -> None:
        self.objects = {o.id: o for o in self.listed}
        self.own: set[str] = set()  # ids whose object here is a private copy

    def _w(self, oid: str) -> CimObject:
        """The object to change: copied on its first change, so the input model and the
        objects no edit touches are never copied or changed."""
        if oid not in self.own:
            self.objects[oid] = _copy(self.objects[oid])
            self.own.add(oid)
        return self.objects[oid]

    # --- the three operations ----------------------------------------------------------------

    def add_object(self, edit: AddEdit) -> None:
        obj = edit.object
        try:
            if obj.id in self.objects:
                raise _Refused(
                    "duplicate-id",
                    f"an object with the id {obj.id!r} exists already.",
                    "Choose a new id, or use `set` to change the existing object.",
                )
            cls = self._concrete(obj.class_)
            for name in [*obj.attributes, *obj.references]:
                self._feature(cls, name)
            slot = self._container(edit.container, cls) if edit.container else None
            for name, targets in obj.references.items():
                self._check_targets(self._reference(cls, name), targets, obj.id)
        except _Refused as r:
            self._issue(r, "add", obj.id)
            return
        self.objects[obj.id] = CimObject(id=obj.id, class_=cls.key, attributes=dict(obj.attributes))
        self.own.add(obj.id)
        for name, targets in obj.references.items():
            self._assign(obj.id, self._reference(cls, name), list(targets))
        if slot is not None and edit.container is not None:
            self._link(edit.container[0], slot, obj.id)

    def set_feature(self, oid: str, name: str, value: Value) -> None:
        try:
            obj = self._object(oid)
            feature = self._feature(self.mm.classes[obj.class_], name)
            if isinstance(feature, Attribute):
                self._set_attribute(oid, feature, value)
                return
            targets = self._targets(feature, value, oid)
            self._check_targets(feature, targets, oid)
        except _Refused as r:
            self._issue(r, "set", oid, name)
            return
        self._assign(oid, feature, targets)

    def delete_object(self, oid: str) -> None:
        try:
            self._object(oid)
        except _Refused as r:
            self._issue(r, "delete", oid)
            return
        gone = self._contents(oid)
        for dead in gone:
            del self.objects[dead]
            self.own.discard(dead)
        for obj in list(self.objects.values()):
            for name, targets in list(obj.references.items()):
                if any(t in gone for t in targets):
                    self._set_refs(obj.id, name, [t for t in targets if t not in gone])

    # --- attributes ---------------------------------------------------------------------------

    def _set_attribute(self, oid: str, attr: Attribute, value: Value) -> None:
        if value is None or value == []:
            if attr.name in self.objects[oid].attributes:
                del self._w(oid).attributes[attr.name]
            return
        if attr.many and not isinstance(value, list):
            self._note(oid, attr.name, f"{attr.name} holds many values; {value!r} became a list")
            value = [value]
        elif not attr.many and isinstance(value, list):
            if len(value) != 1:
                raise _Refused(
                    "bad-value",
                    f"{attr.name} holds one value, not a list of {len(value)}.",
                    "Give a single value (null unsets it).",
                )
            self._note(oid, attr.name, f"{attr.name} holds one value; [{value[0]!r}] became it")
            value = value[0]
        self._w(oid).attributes[attr.name] = value

    # --- references ---------------------------------------------------------------------------

    def _targets(self, ref: Reference, value: Value, oid: str) -> list[str]:
        """The new list of ids a `set` gives; a lone id becomes a one-element list."""
        if value is None:
            return []
        if isinstance(value, str):
            self._note(oid, ref.name, f"{ref.name} takes a list of ids; {value!r} became one")
            return [value]
        if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
            raise _Refused(
                "bad-value",
                f"{ref.name} is a reference: its value is a list of object ids.",
                'Write e.g. ["id1", "id2"], or [] to clear it.',
            )
        return [t for t in value if isinstance(t, str)]

    def _check_targets(self, ref: Reference, targets: list[str], oid: str) -> None:
        if not ref.many and len(targets) > 1:
            raise _Refused(
                "multiplicity",
                f"{ref.name} holds at most one object, not {len(targets)}.",
                "Give a list with one id.",
            )
        if len(set(targets)) != len(targets):
            raise _Refused("not-unique", f"{ref.name} lists an object twice.", "List each id once.")
        for t in targets:
            if "#" in t:
                continue  # an external URI: kept as it is
            target = self.objects.get(t)
            if target is None and t != oid:
                raise _Refused(
                    "dangling-reference",
                    f"{ref.name} lists {t!r}, and no object has that id.",
                    "Add the object first (an earlier edit), or list an existing id.",
                )
            if target is not None and not self.mm.is_subtype(target.class_, ref.target):
                raise _Refused(
                    "wrong-target-type",
                    f"{ref.name} takes {ref.target} objects; {t!r} is a {target.class_}.",
                    None,
                )
            if ref.containment and t == oid:
                raise _Refused("containment-cycle", f"{oid!r} cannot contain itself.", None)
            if ref.containment and oid in self._contents(t):
                raise _Refused(
                    "containment-cycle",
                    f"{oid!r} is inside {t!r}, so {t!r} cannot go into {oid}.{ref.name}.",
                    None,
                )

    def _refs(self, oid: str, name: str) -> list[str]:
        return self.objects[oid].references.get(name, [])

    def _set_refs(self, oid: str, name: str, targets: list[str]) -> None:
        """`oid.name` becomes `targets` (a new list; absent when empty)."""
        if targets:
            self._w(oid).references[name] = targets
        elif name in self.objects[oid].references:
            del self._w(oid).references[name]

    def _assign(self, oid: str, ref: Reference, targets: list[str]) -> None:
        """`oid.ref` becomes `targets`, unlinking the old and linking the new ones so their
        opposite ends and containers follow."""
        for t in [t for t in self._refs(oid, ref.name) if t not in targets]:
            self._unlink(oid, ref, t)
        for t in targets:
            if t not in self._refs(oid, ref.name):
                self._link(oid, ref, t)
        self._set_refs(oid, ref.name, list(targets))  # the order the edit gives

    def _link(self, oid: str, ref: Reference, tid: str) -> None:
        """Add `tid` to `oid.ref` the way EMF does: a single-valued end drops its old target,
        a contained object leaves its old container, the opposite end follows."""
        if not ref.many:
            for old in self._refs(oid, ref.name):
                self._unlink(oid, ref, old)
        target = self.objects.get(tid)
        if ref.containment and target is not None:
            for owner, owner_ref in self._containers_of(tid):
                if owner != oid or owner_ref.name != ref.name:
                    self._drop(owner, owner_ref.name, tid)
        self._set_refs(oid, ref.name, [*self._refs(oid, ref.name), tid])
        back = self._opposite(ref, target)
        if back is None or target is None:
            return
        given = back.name in target.references  # else left out: implied by this end
        if not back.many:  # the target's single-valued end lets go of its old partner
            for other in self._partners(tid, back, ref):
                if other != oid:
                    self._drop(other, ref.name, tid)
                    self._drop(tid, back.name, other)
        if given and oid not in self._refs(tid, back.name):
            self._set_refs(tid, back.name, [*self._refs(tid, back.name), oid])

    def _unlink(self, oid: str, ref: Reference, tid: str) -> None:
        self._drop(oid, ref.name, tid)
        back = self._opposite(ref, self.objects.get(tid))
        if back is not None:
            self._drop(tid, back.name, oid)

    def _partners(self, tid: str, back: Reference, ref: Reference) -> list[str]:
        """Who `tid.back` points at: as given, else as implied by the other ends."""
        given = self.objects[tid].references.get(back.name)
        if given is not None:
            return [g for g in given if g in self.objects]
        return [o.id for o in self.objects.values() if tid in o.references.get(ref.name, ())]

    def _opposite(self, ref: Reference, target: CimObject | None) -> Reference | None:
        if ref.opposite is None or target is None:
            return None
        back = self.mm.classes[target.class_].feature_map.get(ref.opposite)
        return back if isinstance(back, Reference) else None

    def _drop(self, oid: str, name: str, tid: str) -> None:
        targets = self._refs(oid, name)
        if tid in targets:
            self._set_refs(oid, name, [t for t in targets if t != tid])

    def _containers_of(self, oid: str) -> list[tuple[str, Reference]]:
        found = []
        for o in self.objects.values():
            for ref in self.mm.classes[o.class_].references:
                if ref.containment and oid in o.references.get(ref.name, ()):
                    found.append((o.id, ref))
        return found

    def _contents(self, oid: str) -> set[str]:
        """The object and everything it contains, transitively."""
        seen, todo = {oid}, [oid]
        while todo:
            obj = self.objects.get(todo.pop())
            if obj is None:
                continue
            for ref in self.mm.classes[obj.class_].references:
                if ref.containment:
                    for kid in obj.references.get(ref.name, []):
                        if kid not in seen:
                            seen.add(kid)
                            todo.append(kid)
        return seen

    # --- lookups that refuse ------------------------------------------------------------------

    def _object(self, oid: str) -> CimObject:
        obj = self.objects.get(oid)
        if obj is None:
            raise _Refused(
                "unknown-object",
                f"no object has the id {oid!r}.",
                f"Use one of: {_names(self.objects)}.",
            )
        return obj

    def _concrete(self, key: str) -> EClassView:
        cls = self.mm.classes.get(key)
        if cls is None:
            raise _Refused(
                "unknown-class",
                f"the metamodel has no class {key!r}.",
                f"Use one of: {_names(c.key for c in self.mm.concrete_classes)}.",
            )
        if not cls.concrete:
            raise _Refused(
                "abstract-class",
                f"{key} is abstract and cannot be instantiated.",
                f"Use one of: {_names(self.mm.concrete_subtypes(key))}.",
            )
        return cls

    def _feature(self, cls: EClassView, name: str) -> Attribute | Reference:
        feature = cls.feature_map.get(name)
        if feature is None:
            raise _Refused(
                "unknown-feature",
                f"{cls.key} has no feature {name!r}.",
                f"Use one of: {_names(cls.feature_map)}.",
            )
        return feature

    def _reference(self, cls: EClassView, name: str) -> Reference:
        feature = self._feature(cls, name)
        if not isinstance(feature, Reference):
            raise _Refused("unknown-feature", f"{cls.key}.{name} is not a reference.", None)
        return feature

    def _container(self, container: tuple[str, str], cls: EClassView) -> Reference:
        owner_id, name = container
        owner = self._object(owner_id)
        ref = self._feature(self.mm.classes[owner.class_], name)
        if not isinstance(ref, Reference) or not ref.containment:
            raise _Refused(
                "not-containment",
                f"{owner.class_}.{name} does not contain objects.",
                "Name a containment reference of the owner (a `val` in the metamodel).",
            )
        if not self.mm.is_subtype(cls.key, ref.target):
            raise _Refused(
                "wrong-target-type",
                f"{owner.class_}.{name} holds {ref.target} objects, not {cls.key}.",
                None,
            )
        if not ref.many and owner.references.get(name):
            raise _Refused(
                "multiplicity",
                f"{owner_id}.{name} holds one object and already has "
                f"{owner.references[name][0]!r}.",
                "Delete that object first, or add the new one elsewhere.",
            )
        return ref

    # --- findings -----------------------------------------------------------------------------

    def _issue(self, r: _Refused, op: str, oid: str | None, feature: str | None = None) -> None:
        self.issues.append(
            Issue(
                code=r.code,
                object=oid,
                feature=feature,
                message=f"edit {self.number} ({op}) not applied: {r.message}",
                hint=r.hint,
            )
        )

    def _note(self, oid: str, feature: str, what: str) -> None:
        self.issues.append(
            Issue(
                code="normalised",
                severity="warning",
                object=oid,
                feature=feature,
                message=f"edit {self.number}: {what}.",
            )
        )


def _names(items: Iterable[str], limit: int = 12) -> str:
    names = list(items)
    shown = ", ".join(names[:limit])
    return (shown + (", …" if len(names) > limit else "")) or "none"
