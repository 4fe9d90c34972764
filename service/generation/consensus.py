"""Self-consistency: one CIM from k sampled answers, keeping what a majority of them agree on.

A small model's slips vary from draw to draw while what the spec states tends to recur, so a
vote over k answers drawn at a temperature above 0 keeps the recurring part (the consistency
idea of LLM-AbsCon). Ids are names each sample chose and mean nothing across samples, so
objects are first aligned with the scorer's optimal assignment (`scoring.score(...).matching`).

- The pivot is the sample agreeing most with the others (its summed mean F1 against each).
  Its objects seed clusters; then each other sample in turn seeds clusters for its objects
  not yet placed, and every later sample joins a seed through its alignment with the seeder.
- An object is kept when more than k/2 samples have it. Its id comes from the earliest sample
  holding it (the pivot first); its class is the commonest among them (ties: that sample's).
- An attribute value (each element of a many-valued one) is kept when more than k/2 samples
  give it to that object, values compared as the scorer compares them.
- A link is kept when more than k/2 samples have it between kept objects; links are closed
  under eOpposite for the vote (either end counts) and written as some sample wrote them.
- A feature the metamodel requires that the vote leaves short keeps the earliest sample's
  values, so voting alone does not make a model invalid that its samples were not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from statistics import fmean

from instancegen.service.core.cim import Cim, CimObject, Scalar, Value
from instancegen.service.core.metamodel import Attribute, Metamodel, Reference
from instancegen.service.core.values import is_external
from instancegen.service.eval.scoring import Score, edges, normalise, score

Cluster = dict[int, str]  # sample index -> that sample's id of the object


@dataclass(frozen=True)
class Consensus:
    """The voted CIM, and what the vote kept (for the run's report)."""

    cim: Cim
    samples: int
    pivot: int  # index of the sample the consensus is built around
    objects_kept: int
    objects_proposed: int  # distinct objects over all samples, after alignment


def vote(mm: Metamodel, samples: Sequence[Cim]) -> Consensus:
    """The majority CIM of `samples` (one sample is returned as it is)."""
    k = len(samples)
    if k == 1:
        n = len(samples[0].objects)
        return Consensus(samples[0], 1, 0, n, n)
    scores = {
        (i, j): score(mm, samples[i], samples[j]) for i in range(k) for j in range(k) if i != j
    }
    pivot = max(
        range(k), key=lambda i: (sum(_agreement(scores[i, j]) for j in range(k) if j != i), -i)
    )
    order = [pivot, *(i for i in range(k) if i != pivot)]
    clusters = _clusters(samples, order, scores)
    kept = [n for n, c in enumerate(clusters) if _majority(len(c), k)]
    cim = _Builder(mm, samples, order, clusters, kept).build()
    return Consensus(cim, k, pivot, len(kept), len(clusters))


def _majority(votes: int, k: int) -> bool:
    return 2 * votes > k


def _agreement(s: Score) -> float:
    return fmean((s.objects.f1, s.attributes.f1, s.references.f1))


def _clusters(
    samples: Sequence[Cim], order: list[int], scores: dict[tuple[int, int], Score]
) -> list[Cluster]:
    """Objects that the alignments say are one, seeded in `order` (the pivot's first)."""
    placed: list[set[str]] = [set() for _ in samples]
    clusters: list[Cluster] = []
    for at, i in enumerate(order):
        for obj in samples[i].objects:
            if obj.id in placed[i]:
                continue
            cluster = {i: obj.id}
            placed[i].add(obj.id)
            for j in order[at + 1 :]:
                other = scores[i, j].matching.get(obj.id)
                if other is not None and other not in placed[j]:
                    cluster[j] = other
                    placed[j].add(other)
            clusters.append(cluster)
    return clusters


Link = tuple[int, str, int | str]  # (source cluster, feature, target cluster or external href)


class _Builder:
    """Writes the kept clusters as one CIM: ids, classes, voted attributes and links."""

    def __init__(
        self,
        mm: Metamodel,
        samples: Sequence[Cim],
        order: list[int],
        clusters: list[Cluster],
        kept: list[int],
    ) -> None:
        self.mm, self.samples, self.order, self.k = mm, samples, order, len(samples)
        self.by_id = [{o.id: o for o in s.objects} for s in samples]
        self.where = {(i, oid): n for n, c in enumerate(clusters) for i, oid in c.items()}
        self.kept = {n: clusters[n] for n in kept}
        self.ids = self._ids()

    def _members(self, cluster: Cluster) -> list[tuple[int, CimObject]]:
        return [(i, self.by_id[i][cluster[i]]) for i in self.order if i in cluster]

    def _ids(self) -> dict[int, str]:
        """Each kept object's id from its earliest sample; a clash gets a numeric suffix."""
        ids: dict[int, str] = {}
        used: set[str] = set()
        for n, cluster in self.kept.items():
            base = self._members(cluster)[0][1].id
            oid, suffix = base, 1
            while oid in used:
                suffix += 1
                oid = f"{base}-{suffix}"
            used.add(oid)
            ids[n] = oid
        return ids

    def build(self) -> Cim:
        links = self._links()
        objects = []
        for n, cluster in self.kept.items():
            members = self._members(cluster)
            classes = Counter(o.class_ for _, o in members)
            class_ = max((o.class_ for _, o in members), key=lambda c: classes[c])
            objects.append(
                CimObject(
                    id=self.ids[n],
                    class_=class_,
                    attributes=self._attributes(members, class_),
                    references=self._references(n, members, class_, links),
                )
            )
        return Cim(objects=objects)

    def _feature(self, class_: str, name: str) -> Attribute | Reference | None:
        view = self.mm.classes.get(class_)
        return view.feature_map.get(name) if view else None

    def _known(self, class_: str, name: str) -> bool:
        """A feature the chosen class has (any, when the class is unknown: the validator says)."""
        return class_ not in self.mm.classes or self._feature(class_, name) is not None

    def _attributes(self, members: list[tuple[int, CimObject]], class_: str) -> dict[str, Value]:
        result: dict[str, Value] = {}
        for name in dict.fromkeys(name for _, o in members for name in o.attributes):
            feature = self._feature(class_, name)
            if not self._known(class_, name):
                continue
            type_ = feature.type if isinstance(feature, Attribute) else None
            votes: Counter[Hashable] = Counter()
            first: dict[Hashable, Scalar] = {}  # each voted value as its earliest sample wrote it
            for _, obj in members:
                raw = obj.attributes.get(name)
                given = {normalise(v, type_): v for v in _listed(raw) if v is not None}
                votes.update(given.keys())
                for key, value in given.items():
                    first.setdefault(key, value)
            chosen = [first[key] for key in first if _majority(votes[key], self.k)]
            if feature is not None and len(chosen) < feature.lower:  # required: not voted away
                result[name] = next(o.attributes[name] for _, o in members if name in o.attributes)
            elif chosen:
                many = any(isinstance(o.attributes.get(name), list) for _, o in members)
                result[name] = chosen if many else chosen[0]
        return result

    def _links(self) -> Counter[Link]:
        """Votes per link between clusters, each sample counted once per link."""
        votes: Counter[Link] = Counter()
        for i, sample in enumerate(self.samples):
            votes.update({self._link(i, s, f, t) for s, f, t in edges(self.mm, sample)})
        return votes

    def _link(self, i: int, source: str, feature: str, target: str) -> Link:
        end: int | str = target if is_external(target) else self.where.get((i, target), -1)
        return (self.where.get((i, source), -1), feature, end)  # -1: an id no object has

    def _target(self, end: int | str) -> str | None:
        """How a link's far end is written: its kept object's id, the external href, or None
        when that object was not kept."""
        if isinstance(end, str):
            return end
        return self.ids.get(end)

    def _references(
        self, n: int, members: list[tuple[int, CimObject]], class_: str, links: Counter[Link]
    ) -> dict[str, list[str]]:
        """Links the vote kept, written from this object as its samples wrote them; a required
        reference the vote left short keeps the earliest sample's targets that were kept."""
        result: dict[str, list[str]] = {}

        def add(name: str, target: str | None) -> None:
            if target is not None and target not in result.setdefault(name, []):
                result[name].append(target)

        for i, obj in members:
            for name, targets in obj.references.items():
                if self._known(class_, name):
                    for target in targets:
                        link = self._link(i, obj.id, name, target)
                        if _majority(links[link], self.k):
                            add(name, self._target(link[2]))
        view = self.mm.classes.get(class_)
        for ref in view.references if view else ():
            kept = {
                link
                for link, count in links.items()
                if link[:2] == (n, ref.name)
                and _majority(count, self.k)
                and self._target(link[2]) is not None
            }  # fmt: skip  (links kept at either end count)
            holder = next(((i, o) for i, o in members if ref.name in o.references), None)
            if len(kept) < ref.lower and holder is not None:
                i, obj = holder
                for target in obj.references[ref.name]:
                    add(ref.name, self._target(self._link(i, obj.id, ref.name, target)[2]))
        return {name: targets for name, targets in result.items() if targets}


def _listed(raw: Value) -> list[Scalar]:
    return raw if isinstance(raw, list) else [raw]
