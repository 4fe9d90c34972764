"""The corpus of the spec-reading rules (`two_phase.spec_facts.RULES`): for each rule, sentences
in many styles (prose, bullets, nested outlines, markdown tables, requirement lists, narrative
with pronouns, numbers as words, units, parenthesised values, key: value lists) with the
facts the rule must add, and the facts the other rules may add on the same sentence.

Every sentence is about ferries, pilots and ports: a domain no bundled case has. A fact is a
tuple whose first item says what it is (see `test_spec_rules.facts_of`)."""

from __future__ import annotations

from dataclasses import dataclass, field

ECORE = b"""<?xml version="1.0" encoding="UTF-8"?>
<ecore:EPackage xmi:version="2.0" xmlns:xmi="http://www.omg.org/XMI"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:ecore="http://www.eclipse.org/emf/2002/Ecore" name="ferry" nsURI="http://t/ferry"
    nsPrefix="ferry">
  <eClassifiers xsi:type="ecore:EClass" name="Line">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="name"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="fleet" upperBound="-1"
        eType="#//Vessel" containment="true"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="pilots" upperBound="-1"
        eType="#//Pilot" containment="true"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="ports" upperBound="-1"
        eType="#//Port" containment="true"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="crossings" upperBound="-1"
        eType="#//Crossing" containment="true"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Vessel" abstract="true">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="name"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="hullCode" iD="true"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="master" eType="#//Pilot"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Ferry" eSuperTypes="#//Vessel">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="tonnage"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EInt"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="speedKnots"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EDouble"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="launched"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EDate"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Tug" eSuperTypes="#//Vessel">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="bollardPull"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EInt"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Pilot">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="name"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="pilotId"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="email"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="languages" upperBound="-1"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="certified"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EBoolean"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="rank" eType="#//Rank"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Trainee" eSuperTypes="#//Pilot">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="school"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Port">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="name"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="berths"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EInt"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Crossing">
    <eStructuralFeatures xsi:type="ecore:EReference" name="source" lowerBound="1"
        eType="#//Port"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="target" lowerBound="1"
        eType="#//Port"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="minutes"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EInt"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EEnum" name="Rank">
    <eLiterals name="NAVIGATOR"/>
    <eLiterals name="CAPTAIN" value="1"/>
  </eClassifiers>
</ecore:EPackage>
"""

Fact = tuple[object, ...]


@dataclass(frozen=True)
class Row:
    """A sentence, the facts its table's rule adds, and those other rules may add."""

    text: str
    adds: frozenset[Fact]
    also: frozenset[Fact] = field(default=frozenset())
    known: str = ""  # why the rules do not read it yet: the row is an expected failure


def row(text: str, adds: set[Fact], also: set[Fact] | None = None, known: str = "") -> Row:
    return Row(text, frozenset(adds), frozenset(also or ()), known)


TABLES: dict[str, tuple[Row, ...]] = {
    "layout": (
        row(
            "| vessel | tonnage |\n|:--|--:|\n| Aurora | 900 |",
            {("text", "vessel Aurora tonnage 900.")},
            {
                ("string", "Aurora"),
                ("string", "Ida Moss"),
                ("number", 900),
                ("feature", "tonnage", 900),
                ("described", "Aurora", ("Ferry",)),
                ("described", "Ida Moss", ("Pilot",)),
                ("spoken", "Ferry"),
                ("spoken", "Tug"),
                ("absent", "Trainee"),
                ("size", 900),
            },
        ),
        row(
            "Ferries:\n- Aurora\n  - hull code: HX-01\n  - crew:\n    - Ida Moss\n- Borea",
            {("text", "Ferries: Aurora hull code: HX-01.\ncrew: Ida Moss.\nFerries: Borea.")},
            {
                ("string", "Aurora"),
                ("string", "Borea"),
                ("string", "HX-01"),
                ("string", "Ida Moss"),
                ("feature", "hullCode", "HX-01"),
                ("class", "Ferry", "Aurora"),
                ("class", "Ferry", "Borea"),
                ("described", "Aurora", ("Ferry",)),
                ("described", "Borea", ("Ferry",)),
                ("described", "Ida Moss", ("Ferry",)),
                ("spoken", "Ferry"),
                ("absent", "Tug"),
            },
        ),
        row(
            "REQ-1: The line shall run a ferry.\nFR-2) It shall dock at Vik. R3. Not at night.",
            {("text", "The line shall run a ferry.\nIt shall dock at Vik. Not at night.")},
            {("string", "Vik"), ("spoken", "Ferry"), ("spoken", "Line"), ("absent", "Tug")},
        ),
        row(
            "1. Ola Dahl is a trainee\n   from the school Seaways\n2) Per Moe is a captain",
            {("text", "Ola Dahl is a trainee from the school Seaways.\nPer Moe is a captain.")},
            {
                ("string", "Ola Dahl"),
                ("string", "Seaways"),
                ("string", "Per Moe"),
                ("feature", "school", "Seaways"),
                ("described", "Ola Dahl", ("Trainee",)),
                ("described", "Per Moe", ("Pilot",)),
                ("spoken", "Trainee"),
            },
        ),
        row(
            "The ferry Aurora sails at 06:45 - on time - to Vik: daily.",
            set(),
            {
                ("string", "Aurora"),
                ("string", "Vik"),
                ("class", "Ferry", "Aurora"),
                ("described", "Aurora", ("Ferry",)),
                ("spoken", "Ferry"),
                ("absent", "Tug"),
                ("number", 6),
                ("number", 45),
            },
        ),
    ),
    "pronouns": (
        row(
            "Ida Moss joined in 2001.\nShe holds pilot id P-0007. Her email is ida@x.io",
            {
                (
                    "text",
                    "Ida Moss joined in 2001, and she holds pilot id P-0007, "
                    "and her email is ida@x.io",
                )
            },
            {
                ("string", "Ida Moss"),
                ("string", "P-0007"),
                ("string", "ida@x.io"),
                ("number", 2001),
                ("feature", "pilotId", "P-0007"),
                ("feature", "email", "ida@x.io"),
                ("described", "Ida Moss", ("Pilot",)),
                ("spoken", "Pilot"),
                ("absent", "Trainee"),
            },
        ),
        row(
            "The ferry Aurora left Vik. She was full. He waved from the quay.",
            set(),
            {
                ("string", "Aurora"),
                ("string", "Vik"),
                ("class", "Ferry", "Aurora"),
                ("described", "Aurora", ("Ferry",)),
                ("spoken", "Ferry"),
                ("absent", "Tug"),
            },
        ),
        row(
            "Per Moe sails at dawn. It is cold. They are late.",
            set(),
            {("string", "Per Moe")},
        ),
    ),
    "dates": (
        row(
            "The ferry Aurora was launched on 7 April 1987 at 06:45.",
            {("date", "1987-04-07T06:45:00")},
            {
                ("absent", "Tug"),
                ("class", "Ferry", "Aurora"),
                ("described", "Aurora", ("Ferry",)),
                ("feature", "launched", "1987-04-07T06:45:00"),
                ("spoken", "Ferry"),
                ("string", "Aurora"),
            },
        ),
        row(
            "- launched: 2019-05-02\n- refitted: May 3, 2001",
            {("date", "2001-05-03T00:00:00"), ("date", "2019-05-02T00:00:00")},
            {("feature", "launched", "2019-05-02T00:00:00")},
        ),
        row(
            "| ferry | launched |\n|---|---|\n| Borea | 3 May 2001 |",
            {("date", "2001-05-03T00:00:00")},
            {
                ("absent", "Tug"),
                ("class", "Ferry", "Borea"),
                ("described", "Borea", ("Ferry",)),
                ("feature", "launched", "2001-05-03T00:00:00"),
                ("spoken", "Ferry"),
                ("string", "Borea"),
            },
        ),
        row("R4. A refit shall be logged in 1999.", set(), {("number", 1999)}),
    ),
    "strings": (
        row(
            "The Vik Line calls at the port Vik.",
            {("string", "Vik Line"), ("string", "Vik")},
            {
                ("break", "at the port"),
                ("class", "Line", "Vik Line"),
                ("class", "Port", "Vik"),
                ("described", "Vik Line", ("Line",)),
                ("described", "Vik", ("Port",)),
                ("spoken", "Line"),
                ("spoken", "Port"),
            },
        ),
        row(
            'The line "Vik Line" has a pilot called Ida Moss.',
            {("string", "Ida Moss"), ("string", "Vik Line")},
            {
                ("absent", "Trainee"),
                ("class", "Line", "Vik Line"),
                ("class", "Pilot", "Ida Moss"),
                ("described", "Ida Moss", ("Pilot",)),
                ("described", "Vik Line", ("Line",)),
                ("spoken", "Line"),
                ("spoken", "Pilot"),
            },
        ),
        row(
            "Pilot email: ida@vik.example; hull code: HX-01.",
            {("string", "HX-01"), ("string", "ida@vik.example")},
            {
                ("absent", "Trainee"),
                ("feature", "email", "ida@vik.example"),
                ("feature", "hullCode", "HX-01"),
                ("spoken", "Pilot"),
            },
        ),
        row(
            "- Tug: Storm\n  - bollard pull: 60",
            {("string", "Storm")},
            {
                ("absent", "Ferry"),
                ("class", "Tug", "Storm"),
                ("described", "Storm", ("Tug",)),
                ("feature", "bollardPull", 60),
                ("number", 60),
                ("spoken", "Tug"),
            },
        ),
        row(
            "The ferry and the tug are moored at the port.",
            set(),
            {("break", "at the port."), ("spoken", "Ferry"), ("spoken", "Port"), ("spoken", "Tug")},
        ),
        row(
            "H. C. Andersen reads The Waves aboard.",
            {("string", "H. C. Andersen"), ("string", "The Waves")},
        ),
    ),
    "numbers": (
        row(
            "The port Vik has 6 berths and a depth of -12.5 metres.",
            {("number", -12.5), ("number", 6)},
            {
                ("class", "Port", "Vik"),
                ("described", "Vik", ("Port",)),
                ("feature", "berths", 6),
                ("size", 6),
                ("spoken", "Port"),
                ("string", "Vik"),
            },
        ),
        row(
            "| port | berths |\n|---|---|\n| Vik | 6 |",
            {("number", 6)},
            {
                ("class", "Port", "Vik"),
                ("described", "Vik", ("Port",)),
                ("feature", "berths", 6),
                ("spoken", "Port"),
                ("string", "Vik"),
            },
        ),
        row(
            "The crossing was timed on 2001-05-03 by Lund-3.",
            set(),
            {("date", "2001-05-03T00:00:00"), ("spoken", "Crossing"), ("string", "Lund-3")},
        ),
        row(
            "Vik has six berths.",
            {("number", 6)},
            {
                ("described", "Vik", ("Port",)),
                ("feature", "berths", 6),
                ("size", 6),
                ("string", "Vik"),
            },
        ),
    ),
    "feature values": (
        row(
            "Aurora: tonnage 900, hull code HX-01, launched 2001-05-03.",
            {
                ("feature", "hullCode", "HX-01"),
                ("feature", "launched", "2001-05-03T00:00:00"),
                ("feature", "tonnage", 900),
            },
            {
                ("absent", "Tug"),
                ("date", "2001-05-03T00:00:00"),
                ("described", "Aurora", ("Ferry",)),
                ("number", 900),
                ("string", "Aurora"),
                ("string", "HX-01"),
            },
        ),
        row(
            "The ferry Borea (speed: 18.5 knots; tonnage: 1200) sails at dawn.",
            {("feature", "speedKnots", 18.5), ("feature", "tonnage", 1200)},
            {
                ("absent", "Tug"),
                ("class", "Ferry", "Borea"),
                ("described", "Borea", ("Ferry",)),
                ("number", 1200),
                ("number", 18.5),
                ("spoken", "Ferry"),
                ("string", "Borea"),
            },
        ),
        row(
            "The ferry Aurora has a tonnage of 900.",
            {("feature", "tonnage", 900)},
            {
                ("absent", "Tug"),
                ("class", "Ferry", "Aurora"),
                ("described", "Aurora", ("Ferry",)),
                ("number", 900),
                ("spoken", "Ferry"),
                ("string", "Aurora"),
            },
        ),
        row(
            "Pilot Ida Moss, email ida@vik.example, pilot id P-0001.",
            {("feature", "email", "ida@vik.example"), ("feature", "pilotId", "P-0001")},
            {
                ("absent", "Trainee"),
                ("class", "Pilot", "Ida Moss"),
                ("described", "Ida Moss", ("Pilot",)),
                ("spoken", "Pilot"),
                ("string", "Ida Moss"),
                ("string", "P-0001"),
                ("string", "ida@vik.example"),
            },
        ),
        row(
            "- tonnage: 1200\n- berths: 4",
            {("feature", "berths", 4), ("feature", "tonnage", 1200)},
            {("number", 1200), ("number", 4)},
        ),
        row(
            "Ida Moss speaks three languages: Danish, Dutch and Welsh.",
            {
                ("feature", "languages", "Danish"),
                ("feature", "languages", "Dutch"),
                ("feature", "languages", "Welsh"),
            },
            {
                ("absent", "Trainee"),
                ("described", "Ida Moss", ("Pilot",)),
                ("size", 3),
                ("string", "Danish"),
                ("string", "Dutch"),
                ("string", "Ida Moss"),
                ("string", "Welsh"),
            },
        ),
        row(
            "Port Ostby (4 berths) is small.",
            {("feature", "berths", 4)},
            {
                ("class", "Port", "Ostby"),
                ("described", "Ostby", ("Port",)),
                ("number", 4),
                ("size", 4),
                ("spoken", "Port"),
                ("string", "Ostby"),
            },
        ),
        row(
            "Aurora makes a speed of 18.5 knots.",
            {("feature", "speedKnots", 18.5)},
            {
                ("number", 18.5),
                ("string", "Aurora"),
                ("described", "Aurora", ("Ferry",)),
                ("absent", "Tug"),
            },
        ),
    ),
    "code shapes": (
        row(
            "Pilot id P101 is Ida Moss; P102 is Per Moe and P103 is Ola Dahl.",
            {("feature", "pilotId", "P102"), ("feature", "pilotId", "P103")},
            {
                ("absent", "Trainee"),
                ("described", "Ida Moss", ("Pilot",)),
                ("described", "Ola Dahl", ("Pilot",)),
                ("described", "Per Moe", ("Pilot",)),
                ("feature", "pilotId", "P101"),
                ("spoken", "Pilot"),
                ("string", "Ida Moss"),
                ("string", "Ola Dahl"),
                ("string", "P101"),
                ("string", "P102"),
                ("string", "P103"),
                ("string", "Per Moe"),
            },
        ),
        row(
            "Hull code HX-01 is the ferry Aurora; the ferry Borea carries HX-02.",
            {("feature", "hullCode", "HX-02")},
            {
                ("absent", "Tug"),
                ("class", "Ferry", "Aurora"),
                ("class", "Ferry", "Borea"),
                ("described", "Aurora", ("Ferry",)),
                ("described", "Borea", ("Ferry",)),
                ("feature", "hullCode", "HX-01"),
                ("spoken", "Ferry"),
                ("string", "Aurora"),
                ("string", "Borea"),
                ("string", "HX-01"),
                ("string", "HX-02"),
            },
        ),
    ),
    "class names": (
        row(
            'The ferry "Aurora" and the tug Storm are moored.',
            {("class", "Ferry", "Aurora"), ("class", "Tug", "Storm")},
            {
                ("described", "Aurora", ("Ferry",)),
                ("described", "Storm", ("Tug",)),
                ("spoken", "Ferry"),
                ("spoken", "Tug"),
                ("string", "Aurora"),
                ("string", "Storm"),
            },
        ),
        row(
            "Ferries: Aurora",
            {("class", "Ferry", "Aurora")},
            {
                ("absent", "Tug"),
                ("described", "Aurora", ("Ferry",)),
                ("spoken", "Ferry"),
                ("string", "Aurora"),
            },
        ),
        row(
            "R7. The port Lund shall have 2 berths.",
            {("class", "Port", "Lund")},
            {
                ("described", "Lund", ("Port",)),
                ("feature", "berths", 2),
                ("number", 2),
                ("size", 2),
                ("spoken", "Port"),
                ("string", "Lund"),
            },
        ),
        row(
            "Nine crossings leave the port for the open sea.",
            set(),
            {("count", "Crossing", 9), ("size", 9), ("spoken", "Crossing"), ("spoken", "Port")},
        ),
        row(
            "| ferry | tonnage |\n|---|---|\n| Aurora | 900 |\n| Borea | 1200 |",
            {("class", "Ferry", "Aurora"), ("class", "Ferry", "Borea")},
            {
                ("absent", "Tug"),
                ("described", "Aurora", ("Ferry",)),
                ("described", "Borea", ("Ferry",)),
                ("feature", "tonnage", 900),
                ("feature", "tonnage", 1200),
                ("number", 1200),
                ("number", 900),
                ("spoken", "Ferry"),
                ("string", "Aurora"),
                ("string", "Borea"),
            },
        ),
        row(
            "Ferries:\n- Aurora\n  - tonnage: 900\n- Borea\n  - tonnage: 1200",
            {("class", "Ferry", "Aurora"), ("class", "Ferry", "Borea")},
            {
                ("absent", "Tug"),
                ("described", "Aurora", ("Ferry",)),
                ("described", "Borea", ("Ferry",)),
                ("feature", "tonnage", 1200),
                ("feature", "tonnage", 900),
                ("number", 1200),
                ("number", 900),
                ("spoken", "Ferry"),
                ("string", "Aurora"),
                ("string", "Borea"),
            },
        ),
    ),
    "name endings": (
        row(
            "The Vik Port has 6 berths.",
            {("class", "Port", "Vik Port")},
            {
                ("described", "Vik Port", ("Port",)),
                ("feature", "berths", 6),
                ("number", 6),
                ("size", 6),
                ("spoken", "Port"),
                ("string", "Vik Port"),
            },
        ),
        row(
            "Ostby Line owns the Storm Tug.",
            {("class", "Line", "Ostby Line"), ("class", "Tug", "Storm Tug")},
            {
                ("absent", "Ferry"),
                ("described", "Ostby Line", ("Line",)),
                ("described", "Storm Tug", ("Tug",)),
                ("spoken", "Line"),
                ("spoken", "Tug"),
                ("string", "Ostby Line"),
                ("string", "Storm Tug"),
            },
        ),
        row(
            "- Night Ferry\n- Day Ferry",
            {("class", "Ferry", "Night Ferry"), ("class", "Ferry", "Day Ferry")},
            {
                ("absent", "Tug"),
                ("described", "Day Ferry", ("Ferry",)),
                ("described", "Night Ferry", ("Ferry",)),
                ("spoken", "Ferry"),
                ("string", "Day Ferry"),
                ("string", "Night Ferry"),
            },
        ),
    ),
    "counts": (
        row(
            "The line: two ferries; one tug; three ports.",
            {("count", "Ferry", 2), ("count", "Port", 3), ("count", "Tug", 1)},
            {
                ("size", 1),
                ("size", 2),
                ("size", 3),
                ("spoken", "Ferry"),
                ("spoken", "Line"),
                ("spoken", "Port"),
                ("spoken", "Tug"),
            },
        ),
        row(
            "The line has two ferries, 3 ports and no tugs.",
            {("count", "Ferry", 2), ("count", "Port", 3), ("count", "Tug", 0)},
            {
                ("number", 3),
                ("size", 2),
                ("size", 3),
                ("spoken", "Ferry"),
                ("spoken", "Line"),
                ("spoken", "Port"),
                ("spoken", "Tug"),
            },
        ),
        row(
            "R1. The line shall have four pilots.",
            {("count", "Pilot", 4)},
            {("absent", "Trainee"), ("size", 4), ("spoken", "Line"), ("spoken", "Pilot")},
        ),
        row(
            "The two ferries are old. At most 5 crossings run a day.",
            set(),
            {
                ("absent", "Tug"),
                ("number", 5),
                ("size", 2),
                ("size", 5),
                ("spoken", "Crossing"),
                ("spoken", "Ferry"),
            },
        ),
        row(
            "Ida Moss, who has no ferries, is on no crossing.",
            set(),
            {
                ("absent", "Tug"),
                ("spoken", "Crossing"),
                ("spoken", "Ferry"),
                ("string", "Ida Moss"),
            },
            "a containment reference's name in a counted phrase after a name scores its holder",
        ),
        row(
            "One crossing runs at dawn; a second crossing runs at dusk.",
            set(),
            {("size", 1), ("spoken", "Crossing")},
        ),
        row(
            "* Pilots: 2\n* Ports: four",
            {("count", "Pilot", 2), ("count", "Port", 4)},
            {
                ("absent", "Trainee"),
                ("number", 2),
                ("number", 4),
                ("spoken", "Pilot"),
                ("spoken", "Port"),
            },
        ),
    ),
    "inner values": (
        row(
            'Per Moe (P-0002, "Fleet Captain") is a pilot.',
            {("inner", "Fleet Captain", "Per Moe"), ("inner", "P-0002", "Per Moe")},
            {
                ("absent", "Trainee"),
                ("described", "Fleet Captain", ("Pilot",)),
                ("described", "P-0002", ("Pilot",)),
                ("described", "Per Moe", ("Pilot",)),
                ("spoken", "Pilot"),
                ("string", "Fleet Captain"),
                ("string", "P-0002"),
                ("string", "Per Moe"),
            },
        ),
        row(
            'Aurora (launched 1987, "Night Queen") sails from Vik.',
            {("inner", "Night Queen", "Aurora")},
            {
                ("absent", "Tug"),
                ("described", "Aurora", ("Ferry",)),
                ("number", 1987),
                ("string", "Aurora"),
                ("string", "Night Queen"),
                ("string", "Vik"),
            },
        ),
        row(
            "The ferry (ferry Aurora_2) sails.",
            set(),
            {
                ("absent", "Tug"),
                ("class", "Ferry", "Aurora_2"),
                ("described", "Aurora_2", ("Ferry",)),
                ("spoken", "Ferry"),
                ("string", "Aurora_2"),
            },
        ),
    ),
    "breaks": (
        row(
            "The master of the ferry with hull code HX-01 is Ida Moss.",
            {("break", "of the ferry")},
            {
                ("absent", "Trainee"),
                ("absent", "Tug"),
                ("described", "Ida Moss", ("Pilot",)),
                ("feature", "hullCode", "HX-01"),
                ("spoken", "Ferry"),
                ("string", "HX-01"),
                ("string", "Ida Moss"),
            },
        ),
        row(
            "Ida Moss, with at most 3 ferries, sails.",
            set(),
            {
                ("absent", "Tug"),
                ("number", 3),
                ("size", 3),
                ("spoken", "Ferry"),
                ("string", "Ida Moss"),
            },
        ),
        row(
            "- Ida Moss: certified\n- Per Moe: master of the ferry Aurora",
            {("break", "of the ferry")},
            {
                ("absent", "Trainee"),
                ("absent", "Tug"),
                ("class", "Ferry", "Aurora"),
                ("described", "Aurora", ("Ferry",)),
                ("described", "Ida Moss", ("Pilot",)),
                ("described", "Per Moe", ("Pilot",)),
                ("spoken", "Ferry"),
                ("string", "Aurora"),
                ("string", "Ida Moss"),
                ("string", "Per Moe"),
            },
            "a reference's name said after a name, then another object's phrase, scores its holder",
        ),
    ),
    "spoken classes": (
        row(
            "Nine crossings link the ports.",
            {("spoken", "Crossing"), ("spoken", "Port")},
            {("count", "Crossing", 9), ("size", 9)},
        ),
        row("The trainee and the captain meet.", {("spoken", "Trainee")}),
        row(
            "| vessel | kind |\n|---|---|\n| Storm | tug |",
            {("spoken", "Ferry"), ("spoken", "Tug")},
            {("described", "Storm", ("Tug",)), ("string", "Storm")},
        ),
        row(
            'Per Moe reads "The Fleet" aboard.',
            set(),
            {("string", "Per Moe"), ("string", "The Fleet")},
        ),
    ),
    "described names": (
        row(
            "Ola Dahl is a trainee from the school Seaways.",
            {("described", "Ola Dahl", ("Trainee",))},
            {
                ("feature", "school", "Seaways"),
                ("spoken", "Trainee"),
                ("string", "Ola Dahl"),
                ("string", "Seaways"),
            },
        ),
        row(
            "Per Moe is a captain.",
            {("described", "Per Moe", ("Pilot",))},
            {("absent", "Trainee"), ("string", "Per Moe")},
        ),
        row(
            'Ola Dahl serves aboard as "Chief Navigator".',
            set(),
            {("string", "Chief Navigator"), ("string", "Ola Dahl")},
        ),
        row(
            "The ferry Aurora is captained by Per Moe.",
            {("described", "Aurora", ("Ferry",))},
            {
                ("absent", "Tug"),
                ("class", "Ferry", "Aurora"),
                ("spoken", "Ferry"),
                ("string", "Aurora"),
                ("string", "Per Moe"),
            },
        ),
        row(
            "Ida Moss joined in 2001. She is a navigator.",
            {("described", "Ida Moss", ("Pilot",))},
            {("absent", "Trainee"), ("number", 2001), ("string", "Ida Moss")},
        ),
        row(  # the classes after "with" are other objects, not what the name is
            "A small line in Bergen with a few docks, pilots and ports.",
            {("described", "Bergen", ("Line",))},
            {
                ("absent", "Trainee"),
                ("absent", "Tug"),
                ("spoken", "Line"),
                ("spoken", "Pilot"),
                ("spoken", "Port"),
                ("string", "Bergen"),
            },
        ),
    ),
    "pairs": (
        row(
            "Crossings run from Ostby to Vik, from Vik back to Ostby, and Lund -> Ostby.",
            {
                ("count", "Crossing", 3),
                ("pair", "Crossing", "Lund", "Ostby"),
                ("pair", "Crossing", "Ostby", "Vik"),
                ("pair", "Crossing", "Vik", "Ostby"),
            },
            {("spoken", "Crossing"), ("string", "Lund"), ("string", "Ostby"), ("string", "Vik")},
        ),
        row(
            "Two crossings: Ostby to Vik and Vik to Ostby.",
            {("pair", "Crossing", "Ostby", "Vik"), ("pair", "Crossing", "Vik", "Ostby")},
            {
                ("count", "Crossing", 2),
                ("size", 2),
                ("spoken", "Crossing"),
                ("string", "Ostby"),
                ("string", "Vik"),
            },
        ),
        row(
            "| crossing from | to |\n|---|---|\n| Ostby | Vik |",
            {("pair", "Crossing", "Ostby", "Vik"), ("count", "Crossing", 1)},
            {("spoken", "Crossing"), ("string", "Ostby"), ("string", "Vik")},
        ),
    ),
    "absent classes": (
        row(
            "The line runs two ferries.",
            {("absent", "Tug")},
            {("count", "Ferry", 2), ("size", 2), ("spoken", "Ferry"), ("spoken", "Line")},
        ),
        row(
            "The line runs a ferry and a tug.",
            set(),
            {("spoken", "Ferry"), ("spoken", "Line"), ("spoken", "Tug")},
        ),
        row(
            "Storm has a bollard pull of 60.",
            {("absent", "Ferry")},
            {
                ("described", "Storm", ("Tug",)),
                ("feature", "bollardPull", 60),
                ("number", 60),
                ("string", "Storm"),
            },
        ),
    ),
    "claimed names": (
        row(
            "The line has two ferries: Aurora and Borea.",
            {("claimed", "Aurora", "Ferry"), ("claimed", "Borea", "Ferry")},
            {
                ("absent", "Tug"),
                ("class", "Ferry", "Aurora"),
                ("count", "Ferry", 2),
                ("described", "Aurora", ("Ferry",)),
                ("described", "Borea", ("Ferry",)),
                ("size", 2),
                ("spoken", "Ferry"),
                ("spoken", "Line"),
                ("string", "Aurora"),
                ("string", "Borea"),
            },
        ),
        row(
            "There is one tug, Storm; Ida Moss is its master.",
            {("claimed", "Storm", "Tug")},
            {
                ("absent", "Ferry"),
                ("class", "Tug", "Storm"),
                ("count", "Tug", 1),
                ("described", "Ida Moss", ("Pilot",)),
                ("described", "Storm", ("Tug",)),
                ("size", 1),
                ("spoken", "Tug"),
                ("string", "Ida Moss"),
                ("string", "Storm"),
            },
            "a name after a possessive and a reference's name is described as its holder",
        ),
    ),
    "sizes": (
        row(
            "The line has 3 ports and twelve pilots.",
            {("size", 12), ("size", 3)},
            {
                ("absent", "Trainee"),
                ("count", "Pilot", 12),
                ("count", "Port", 3),
                ("number", 3),
                ("spoken", "Line"),
                ("spoken", "Pilot"),
                ("spoken", "Port"),
            },
        ),
        row(
            "Ida Moss lives at 12 Quay Street since 4 June 2001.",
            set(),
            {
                ("date", "2001-06-04T00:00:00"),
                ("number", 12),
                ("string", "Ida Moss"),
                ("string", "Quay Street"),
            },
        ),
        row("Aurora makes 18.5 knots.", set(), {("number", 18.5), ("string", "Aurora")}),
    ),
}

# How the layout rule writes the rows of the other tables that have a layout.
LAYOUT_OF: dict[str, str] = {
    "- launched: 2019-05-02\n- refitted: May 3, 2001": (
        "launched: 2019-05-02.\nrefitted: May 3, 2001."
    ),
    "| ferry | launched |\n|---|---|\n| Borea | 3 May 2001 |": "ferry Borea launched 3 May 2001.",
    "R4. A refit shall be logged in 1999.": "A refit shall be logged in 1999.",
    "- Tug: Storm\n  - bollard pull: 60": "Tug: Storm bollard pull: 60.",
    "| port | berths |\n|---|---|\n| Vik | 6 |": "port Vik berths 6.",
    "- tonnage: 1200\n- berths: 4": "tonnage: 1200.\nberths: 4.",
    "R7. The port Lund shall have 2 berths.": "The port Lund shall have 2 berths.",
    "| ferry | tonnage |\n|---|---|\n| Aurora | 900 |\n| Borea | 1200 |": (
        "ferry Aurora tonnage 900.\nferry Borea tonnage 1200."
    ),
    "Ferries:\n- Aurora\n  - tonnage: 900\n- Borea\n  - tonnage: 1200": (
        "Ferries: Aurora tonnage: 900.\nFerries: Borea tonnage: 1200."
    ),
    "- Night Ferry\n- Day Ferry": "Night Ferry.\nDay Ferry.",
    "R1. The line shall have four pilots.": "The line shall have four pilots.",
    "* Pilots: 2\n* Ports: four": "Pilots: 2.\nPorts: four.",
    "- Ida Moss: certified\n- Per Moe: master of the ferry Aurora": (
        "Ida Moss: certified.\nPer Moe: master of the ferry Aurora."
    ),
    "| vessel | kind |\n|---|---|\n| Storm | tug |": "vessel Storm kind tug.",
    "| crossing from | to |\n|---|---|\n| Ostby | Vik |": "crossing from Ostby to Vik.",
    "Ida Moss joined in 2001. She is a navigator.": (
        "Ida Moss joined in 2001, and she is a navigator."
    ),
}
