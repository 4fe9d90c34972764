"""XSD-derived test metamodels: a generated one made here, public ones found on disk.

`values_metamodel()` writes an XML Schema with one attribute of every XMLType data type and
the `.ecore` EMF's XSD importer makes of it (document root, ExtendedMetaData, XMLType types),
so every XMLType rule is exercised without third-party files. The public metamodels (PLCopen
TC6 with its XSD, RiseClipse's SCL) are test data in `tests/fixtures/xsd/<name>/`, each with a
NOTICE saying where it comes from; they are not shipped in the package.
"""

from __future__ import annotations

from pathlib import Path

from instancegen.service.core.xsd_types import XMLTYPE

ROOT = Path(__file__).resolve().parent.parent
NS = "http://test.example/xsdvalues"
# The schema declares these types by their lexical spaces: NOTATION and ENTITY need declared
# notations and entities, IDREF a matching ID, ID values one document-wide uniqueness.
_XSD_OF = {"ENTITY": "NCName", "ENTITIES": "NMTOKENS", "NOTATION": "NCName", "IDREF": "NCName"}
_XSD_OF |= {"IDREFS": "NMTOKENS", "ID": "NCName"}
TYPES = tuple(t for t in XMLTYPE.values() if ":" not in t.xsd and "_._" not in t.xsd)


def attribute_name(type_name: str) -> str:
    return f"a{type_name}"


def values_metamodel(directory: Path) -> tuple[Path, Path]:
    """Writes `values.ecore` and `values.xsd` into `directory`; returns their paths."""
    attrs = "".join(
        f'<xsd:attribute name="{attribute_name(t.name)}" type="xsd:{_XSD_OF.get(t.xsd, t.xsd)}"/>'
        for t in TYPES
    )
    xsd = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        f'xmlns:v="{NS}" targetNamespace="{NS}" elementFormDefault="qualified">'
        '<xsd:element name="holder" type="v:Holder"/>'
        '<xsd:complexType name="Holder"><xsd:sequence>'
        '<xsd:element name="item" type="v:Item" minOccurs="0" maxOccurs="unbounded"/>'
        '<xsd:element name="note" type="xsd:token" minOccurs="0" maxOccurs="unbounded"/>'
        '</xsd:sequence><xsd:attribute name="title" type="xsd:string"/></xsd:complexType>'
        f'<xsd:complexType name="Item">{attrs}</xsd:complexType>'
        "</xsd:schema>\n"
    )
    features = "".join(
        f'<eStructuralFeatures xsi:type="ecore:EAttribute" name="{attribute_name(t.name)}" '
        f'eType="ecore:EDataType http://www.eclipse.org/emf/2003/XMLType#//{t.name}"'
        + (' unsettable="true"' if t.primitive else "")
        + f">{_emd(kind='attribute', name=attribute_name(t.name))}</eStructuralFeatures>"
        for t in TYPES
    )
    ecore = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<ecore:EPackage xmi:version="2.0" xmlns:xmi="http://www.omg.org/XMI" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:ecore="http://www.eclipse.org/emf/2002/Ecore" '
        f'name="values" nsURI="{NS}" nsPrefix="v">'
        '<eClassifiers xsi:type="ecore:EClass" name="DocumentRoot">'
        f"{_emd(name='', kind='mixed')}"
        '<eStructuralFeatures xsi:type="ecore:EAttribute" name="mixed" unique="false" '
        'upperBound="-1" eType="ecore:EDataType '
        'http://www.eclipse.org/emf/2002/Ecore#//EFeatureMapEntry">'
        f"{_emd(kind='elementWildcard', name=':mixed')}</eStructuralFeatures>"
        '<eStructuralFeatures xsi:type="ecore:EReference" name="xMLNSPrefixMap" '
        'upperBound="-1" eType="ecore:EClass '
        'http://www.eclipse.org/emf/2002/Ecore#//EStringToStringMapEntry" transient="true" '
        f'containment="true" resolveProxies="false">{_emd(kind="attribute", name="xmlns:prefix")}'
        "</eStructuralFeatures>"
        '<eStructuralFeatures xsi:type="ecore:EReference" name="holder" upperBound="-2" '
        'eType="#//Holder" volatile="true" transient="true" derived="true" containment="true" '
        'resolveProxies="false">'
        f"{_emd(kind='element', name='holder', namespace='##targetNamespace')}"
        "</eStructuralFeatures></eClassifiers>"
        '<eClassifiers xsi:type="ecore:EClass" name="Holder">'
        f"{_emd(name='Holder', kind='elementOnly')}"
        '<eStructuralFeatures xsi:type="ecore:EReference" name="item" upperBound="-1" '
        'eType="#//Item" containment="true" resolveProxies="false">'
        f"{_emd(kind='element', name='item', namespace='##targetNamespace')}"
        "</eStructuralFeatures>"
        '<eStructuralFeatures xsi:type="ecore:EAttribute" name="note" unique="false" '
        'upperBound="-1" eType="ecore:EDataType http://www.eclipse.org/emf/2003/XMLType#//Token">'
        f"{_emd(kind='element', name='note', namespace='##targetNamespace')}"
        "</eStructuralFeatures>"
        '<eStructuralFeatures xsi:type="ecore:EAttribute" name="title" '
        'eType="ecore:EDataType http://www.eclipse.org/emf/2003/XMLType#//String">'
        f"{_emd(kind='attribute', name='title')}</eStructuralFeatures></eClassifiers>"
        '<eClassifiers xsi:type="ecore:EClass" name="Item">'
        f"{_emd(name='Item', kind='empty')}{features}</eClassifiers>"
        "</ecore:EPackage>\n"
    )
    ecore_path, xsd_path = directory / "values.ecore", directory / "values.xsd"
    ecore_path.write_text(ecore, encoding="utf-8")
    xsd_path.write_text(xsd, encoding="utf-8")
    return ecore_path, xsd_path


def _emd(**details: str) -> str:
    items = "".join(f'<details key="{k}" value="{v}"/>' for k, v in details.items())
    return (
        '<eAnnotations source="http:///org/eclipse/emf/ecore/util/ExtendedMetaData">'
        f"{items}</eAnnotations>"
    )


def public(name: str, *files: str) -> list[Path]:
    """The files of a public XSD-derived metamodel vendored under `tests/fixtures/xsd/<name>/`."""
    paths = [ROOT / "tests" / "fixtures" / "xsd" / name / f for f in files]
    missing = [str(p) for p in paths if not p.is_file()]
    assert not missing, f"test data missing from the checkout: {', '.join(missing)}"
    return paths
