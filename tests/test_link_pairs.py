"""Objects that link two others (`two_phase.spec_facts.link_ends`): the spec's "A to B" gives
their number and, in phase 2, each one's two ends and the clause its other links come from."""

from __future__ import annotations

import pytest

from instancegen.service.core.cim import CimObject
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.generation.two_phase.links_schema import plan_links
from instancegen.service.generation.two_phase.spec_facts import link_ends, read_facts

# A metamodel of no bundled case: a route map with stops, hops and lines.
ECORE = b"""<?xml version="1.0" encoding="UTF-8"?>
<ecore:EPackage xmi:version="2.0" xmlns:xmi="http://www.omg.org/XMI"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:ecore="http://www.eclipse.org/emf/2002/Ecore" name="routes" nsURI="http://t/routes"
    nsPrefix="routes">
  <eClassifiers xsi:type="ecore:EClass" name="RouteMap">
    <eStructuralFeatures xsi:type="ecore:EReference" name="stops" upperBound="-1"
        eType="#//Stop" containment="true"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="hops" upperBound="-1"
        eType="#//Hop" containment="true" eOpposite="#//Hop/map"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="lines" upperBound="-1"
        eType="#//Line" containment="true"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Stop">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="name"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Line">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="name"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Hop">
    <eStructuralFeatures xsi:type="ecore:EReference" name="map" eType="#//RouteMap"
        eOpposite="#//RouteMap/hops"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="to" lowerBound="1"
        eType="#//Stop"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="from" lowerBound="1"
        eType="#//Stop"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="lines" upperBound="-1"
        eType="#//Line"/>
  </eClassifiers>
</ecore:EPackage>
"""
SPEC = (
    'The map has the stops "Quay", "Mill" and "Fort". Its lines are "Blue" and "Red". '
    "Line Blue runs from Quay to Mill; a hop from Mill to Fort is on no line. "
    "Red goes Fort back to Quay."
)


@pytest.fixture(scope="module")
def routes() -> Metamodel:
    return load_metamodel({"routes.ecore": ECORE})


def test_the_ends_are_the_two_single_references_source_first(routes: Metamodel) -> None:
    ends = link_ends(routes, "Hop")
    assert ends is not None and [r.name for r in ends] == ["from", "to"]  # `from` names a source
    assert link_ends(routes, "Stop") is None


def test_each_a_to_b_is_one_link_in_the_specs_order(routes: Metamodel) -> None:
    found = read_facts(routes, SPEC)
    assert [(p.source, p.target) for p in found.pairs["Hop"]] == [
        ("Quay", "Mill"),
        ("Mill", "Fort"),
        ("Fort", "Quay"),
    ]
    # No count was stated: the pairs give it ("on no line" is one hop's, not a count).
    assert found.counts == {"Hop": 3}


def test_phase_two_pins_each_links_ends_and_its_clause(routes: Metamodel) -> None:
    objects = [
        CimObject(id="m", class_="RouteMap"),
        *(
            CimObject(id=n.lower(), class_="Stop", attributes={"name": n})
            for n in ("Quay", "Mill", "Fort")
        ),
        *(CimObject(id=n.lower(), class_="Line", attributes={"name": n}) for n in ("Blue", "Red")),
        *(CimObject(id=f"h{k}", class_="Hop") for k in range(1, 5)),
    ]
    plan = plan_links(routes, objects, read_facts(routes, SPEC))
    slots = {(e.obj.id, s.ref.name): (s.candidates, s.least) for e in plan.entries for s in e.slots}
    assert slots["h1", "from"] == (("quay",), 1) and slots["h1", "to"] == (("mill",), 1)
    assert slots["h3", "from"] == (("fort",), 1) and slots["h3", "to"] == (("quay",), 1)
    # Its lines are those its clause names: Blue for the first hop, none for the second.
    assert slots["h1", "lines"] == (("blue",), 0) and ("h2", "lines") not in slots
    # A fourth hop the spec does not state is free.
    assert slots["h4", "from"] == (("quay", "mill", "fort"), 1)


# Flights link two airports too, but the spec names each flight: its "A to B" is said of a
# named object, so it makes no flight of its own.
FLIGHTS = b"""<?xml version="1.0" encoding="UTF-8"?>
<ecore:EPackage xmi:version="2.0" xmlns:xmi="http://www.omg.org/XMI"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:ecore="http://www.eclipse.org/emf/2002/Ecore" name="air" nsURI="http://t/air"
    nsPrefix="air">
  <eClassifiers xsi:type="ecore:EClass" name="Network">
    <eStructuralFeatures xsi:type="ecore:EReference" name="airports" upperBound="-1"
        eType="#//Airport" containment="true"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="flights" upperBound="-1"
        eType="#//Flight" containment="true"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Airport">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="code"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Flight">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="number"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="origin" lowerBound="1"
        eType="#//Airport"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="destination" lowerBound="1"
        eType="#//Airport"/>
  </eClassifiers>
</ecore:EPackage>
"""


def test_a_named_link_class_takes_no_pairs() -> None:
    air = load_metamodel({"air.ecore": FLIGHTS})
    assert link_ends(air, "Flight") is not None  # it has the shape of a link class
    spec = (
        'The network has the airports "OSL", "BGO" and "TRD". '
        'The flight "DY600" goes from OSL to BGO and the flight "DY601" from BGO back to OSL.'
    )
    found = read_facts(air, spec)
    assert found.described.get("DY600") == frozenset({"Flight"})
    # Named flights: the two "A to B" are said of them, not two more flights.
    assert "Flight" not in found.pairs
    # Unnamed, the same two clauses are two flights.
    unnamed = read_facts(air, spec.replace(' "DY600"', "").replace(' "DY601"', ""))
    assert [(p.source, p.target) for p in unnamed.pairs["Flight"]] == [
        ("OSL", "BGO"),
        ("BGO", "OSL"),
    ]
    assert unnamed.counts["Flight"] == 2
