"""The EMF harness is the judge of XMI, so first prove it can both pass and fail models."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from emf_check import EmfHarnessError, EmfModelResult, assert_emf_valid

Emf = Callable[[Sequence[Path], Sequence[Path]], list[EmfModelResult]]

ECORE_TYPE = "ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"
BANK_ECORE = f"""<?xml version="1.0" encoding="UTF-8"?>
<ecore:EPackage xmi:version="2.0" xmlns:xmi="http://www.omg.org/XMI"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:ecore="http://www.eclipse.org/emf/2002/Ecore"
    name="bank" nsURI="http://example.org/bank" nsPrefix="bank">
  <eClassifiers xsi:type="ecore:EClass" name="Bank">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="name" lowerBound="1"
        eType="{ECORE_TYPE}"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="accounts" upperBound="-1"
        eType="#//Account" containment="true"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="clients" upperBound="-1"
        eType="#//Person" containment="true"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Account">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="iban" lowerBound="1"
        eType="{ECORE_TYPE}"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="kind" eType="#//Kind"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="tags" upperBound="-1"
        eType="{ECORE_TYPE}"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="owners" upperBound="-1"
        eType="#//Person" eOpposite="#//Person/accounts"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="holder" eType="#//Person"
        eOpposite="#//Person/primary"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Person">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="name" eType="{ECORE_TYPE}"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="accounts" upperBound="-1"
        eType="#//Account" eOpposite="#//Account/owners"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="primary" eType="#//Account"
        eOpposite="#//Account/holder"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EEnum" name="Kind">
    <eLiterals name="checking"/>
    <eLiterals name="savings" value="1"/>
  </eClassifiers>
</ecore:EPackage>
"""

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bank:Bank xmi:version="2.0" xmlns:xmi="http://www.omg.org/XMI"'
    ' xmlns:bank="http://example.org/bank"'
)

# Eclipse style: attributes, fragment paths, both eOpposite ends written.
GOOD_XMI = f"""{HEAD} name="Deutsche Bank">
  <accounts iban="DE01" kind="savings" owners="//@clients.0 //@clients.1">
    <tags>gold</tags>
    <tags>a &amp; "b"</tags>
  </accounts>
  <clients name="Alice" accounts="//@accounts.0"/>
  <clients name="Bob" accounts="//@accounts.0"/>
</bank:Bank>
"""

# Same model, other style: xmi:ids, value as child element, swapped attributes and elements.
SAME_MODEL_OTHER_STYLE = f"""{HEAD} name="Deutsche Bank">
  <clients xmi:id="alice" accounts="acc1" name="Alice"/>
  <accounts xmi:id="acc1" owners="alice bob" kind="savings">
    <tags>gold</tags>
    <iban>DE01</iban>
    <tags>a &amp; "b"</tags>
  </accounts>
  <clients accounts="acc1" name="Bob" xmi:id="bob"/>
</bank:Bank>
"""

EXPECTED_CANONICAL = [
    "#0 : http://example.org/bank#Bank",
    '#0.name = "Deutsche Bank"',
    "#0/accounts[0] : http://example.org/bank#Account",
    '#0/accounts[0].iban = "DE01"',
    '#0/accounts[0].kind = "savings"',
    "#0/accounts[0].owners -> [#0/clients[0], #0/clients[1]]",
    '#0/accounts[0].tags = ["gold", "a & \\"b\\""]',
    "#0/clients[0] : http://example.org/bank#Person",
    "#0/clients[0].accounts -> [#0/accounts[0]]",
    '#0/clients[0].name = "Alice"',
    "#0/clients[1] : http://example.org/bank#Person",
    "#0/clients[1].accounts -> [#0/accounts[0]]",
    '#0/clients[1].name = "Bob"',
]


@pytest.fixture
def bank(tmp_path: Path) -> Path:
    path = tmp_path / "bank.ecore"
    path.write_text(BANK_ECORE, encoding="utf-8")
    return path


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def check_one(emf: Emf, ecores: Sequence[Path], model: Path) -> EmfModelResult:
    (result,) = emf(ecores, [model])
    return result


def test_eclipse_style_xmi_passes_with_expected_canonical_view(
    emf: Emf, bank: Path, tmp_path: Path
) -> None:
    result = check_one(emf, [bank], write(tmp_path, "good.xmi", GOOD_XMI))
    assert result.errors == []
    assert result.warnings == []
    assert result.canonical == EXPECTED_CANONICAL


def test_unknown_feature_is_an_error(emf: Emf, bank: Path, tmp_path: Path) -> None:
    model = write(tmp_path, "unknown.xmi", f'{HEAD} name="B" colour="red"/>\n')
    result = check_one(emf, [bank], model)
    assert any("FeatureNotFoundException" in e and "'colour'" in e for e in result.errors)


def test_dangling_fragment_reference_is_an_error(emf: Emf, bank: Path, tmp_path: Path) -> None:
    nope = write(
        tmp_path, "nope.xmi", f'{HEAD} name="B"><accounts iban="x" owners="//@nope.3"/></bank:Bank>'
    )
    past_end = write(
        tmp_path,
        "end.xmi",
        f'{HEAD} name="B"><accounts iban="x" owners="//@clients.3"/></bank:Bank>',
    )
    by_nope, by_index = emf([bank], [nope, past_end])
    assert any("nope" in e for e in by_nope.errors), by_nope.errors
    assert any("Unresolved reference '//@clients.3'" in e for e in by_index.errors)


def test_missing_required_attribute_is_a_diagnostician_error(
    emf: Emf, bank: Path, tmp_path: Path
) -> None:
    model = write(
        tmp_path, "required.xmi", f'{HEAD} name="B"><accounts kind="savings"/></bank:Bank>'
    )
    result = check_one(emf, [bank], model)
    assert result.errors == ["The required feature 'iban' of 'Account #0/accounts[0]' must be set"]


def test_serialization_style_does_not_change_the_canonical_view(
    emf: Emf, bank: Path, tmp_path: Path
) -> None:
    first, second = emf(
        [bank],
        [write(tmp_path, "a.xmi", GOOD_XMI), write(tmp_path, "b.xmi", SAME_MODEL_OTHER_STYLE)],
    )
    assert first.errors == second.errors == []
    assert first.canonical == second.canonical == EXPECTED_CANONICAL


BASE_ECORE = """<?xml version="1.0" encoding="UTF-8"?>
<ecore:EPackage xmi:version="2.0" xmlns:xmi="http://www.omg.org/XMI"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:ecore="http://www.eclipse.org/emf/2002/Ecore"
    name="base" nsURI="http://example.org/base" nsPrefix="base">
  <eClassifiers xsi:type="ecore:EClass" name="Named" abstract="true">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="name" lowerBound="1"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
  </eClassifiers>
</ecore:EPackage>
"""

SHOP_ECORE = """<?xml version="1.0" encoding="UTF-8"?>
<ecore:EPackage xmi:version="2.0" xmlns:xmi="http://www.omg.org/XMI"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:ecore="http://www.eclipse.org/emf/2002/Ecore"
    name="shop" nsURI="http://example.org/shop" nsPrefix="shop">
  <eClassifiers xsi:type="ecore:EClass" name="Shop" eSuperTypes="base.ecore#//Named">
    <eStructuralFeatures xsi:type="ecore:EReference" name="items" upperBound="-1"
        eType="#//Item" containment="true"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Item" eSuperTypes="base.ecore#//Named"/>
</ecore:EPackage>
"""


def test_cross_file_supertype_loads(emf: Emf, tmp_path: Path) -> None:
    base = write(tmp_path, "base.ecore", BASE_ECORE)
    shop = write(tmp_path, "shop.ecore", SHOP_ECORE)
    model = write(
        tmp_path,
        "shop.xmi",
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<shop:Shop xmi:version="2.0" xmlns:xmi="http://www.omg.org/XMI"'
        ' xmlns:shop="http://example.org/shop" name="Corner">\n'
        '  <items name="Tea"/>\n'
        "</shop:Shop>\n",
    )
    nameless = write(
        tmp_path,
        "nameless.xmi",
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<shop:Shop xmi:version="2.0" xmlns:xmi="http://www.omg.org/XMI"'
        ' xmlns:shop="http://example.org/shop" name="Corner"><items/></shop:Shop>\n',
    )
    good, bad = emf([base, shop], [model, nameless])
    assert good.errors == []
    assert good.canonical == [
        "#0 : http://example.org/shop#Shop",
        '#0.name = "Corner"',
        "#0/items[0] : http://example.org/shop#Item",
        '#0/items[0].name = "Tea"',
    ]
    # The inherited required attribute is checked too.
    assert bad.errors == ["The required feature 'name' of 'Item #0/items[0]' must be set"]


def test_one_sided_eopposite_is_caught_even_when_emf_is_silent(
    emf: Emf, bank: Path, tmp_path: Path
) -> None:
    # Only the later object names the earlier one: EMF sets both ends, fine.
    backward = (
        f'{HEAD} name="B"><accounts iban="x"/><clients accounts="//@accounts.0"/></bank:Bank>'
    )
    # Only the earlier object names the later one: EMF's loader fails.
    forward = f'{HEAD} name="B"><accounts iban="x" owners="//@clients.0"/><clients/></bank:Bank>'
    ok, broken = emf(
        [bank], [write(tmp_path, "bw.xmi", backward), write(tmp_path, "fw.xmi", forward)]
    )
    assert ok.errors == []
    assert "#0/accounts[0].owners -> [#0/clients[0]]" in ok.canonical
    assert broken.errors == [
        "IllegalValueException: value 'Person #0/clients[0]' is not legal for "
        "Account #0/accounts[0].owners"
    ]


def test_silently_lost_one_to_one_link_is_an_error(emf: Emf, bank: Path, tmp_path: Path) -> None:
    # A forward-only 1:1 eOpposite end: EMF loads without a word and sets neither end.
    model = write(
        tmp_path,
        "lost.xmi",
        f'{HEAD} name="B"><accounts iban="x" holder="//@clients.0"/><clients/></bank:Bank>',
    )
    result = check_one(emf, [bank], model)
    assert len(result.errors) == 1
    assert "default load differs" in result.errors[0]
    assert "#0/accounts[0].holder -> #0/clients[0]" in result.errors[0]
    assert not any("holder" in line for line in result.canonical)


def test_single_valued_feature_given_twice_is_an_error(
    emf: Emf, bank: Path, tmp_path: Path
) -> None:
    model = write(tmp_path, "twice.xmi", f'{HEAD} name="B"><name>C</name></bank:Bank>')
    result = check_one(emf, [bank], model)
    assert result.errors == [
        "EmfCheck: the file gives single-valued feature 'name' of 'Bank #0' more than once;"
        " EMF keeps one"
    ]


def test_silently_dropped_object_is_an_error(emf: Emf, bank: Path, tmp_path: Path) -> None:
    # A Person where an Account is due, in an eOpposite reference: EMF reports nothing but
    # the Person vanishes from the model.
    model = write(
        tmp_path,
        "dropped.xmi",
        f'{HEAD} name="B"><accounts iban="x"/><clients accounts="//@clients.0"/></bank:Bank>',
    )
    result = check_one(emf, [bank], model)
    assert any("silently dropped 1" in e for e in result.errors), result.errors


def test_schema_location_and_multiple_roots(emf: Emf, bank: Path, tmp_path: Path) -> None:
    model = write(
        tmp_path,
        "roots.xmi",
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<xmi:XMI xmi:version="2.0" xmlns:xmi="http://www.omg.org/XMI"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        ' xmlns:bank="http://example.org/bank"'
        ' xsi:schemaLocation="http://example.org/bank bank.ecore">\n'
        '  <bank:Bank name="A"/>\n  <bank:Bank name="B"/>\n</xmi:XMI>\n',
    )
    result = check_one(emf, [bank], model)
    assert result.errors == []
    assert result.canonical == [
        "#0 : http://example.org/bank#Bank",
        '#0.name = "A"',
        "#1 : http://example.org/bank#Bank",
        '#1.name = "B"',
    ]


def test_assert_emf_valid(emf: Emf, bank: Path, tmp_path: Path) -> None:
    assert_emf_valid([bank], write(tmp_path, "good.xmi", GOOD_XMI))
    with pytest.raises(AssertionError, match="required feature 'name'"):
        assert_emf_valid([bank], write(tmp_path, "bad.xmi", f"{HEAD}/>\n"))


def test_missing_file_is_a_harness_error(emf: Emf, bank: Path, tmp_path: Path) -> None:
    with pytest.raises(EmfHarnessError, match="no such file"):
        emf([bank], [tmp_path / "absent.xmi"])
