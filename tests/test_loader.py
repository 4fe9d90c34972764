"""Loading .ecore files into the Metamodel view: structure, types, and every kind of bad input."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmarks.synthetic import synthetic_metamodel, write_synthetic
from instancegen.service.cli import app
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.errors import InputError
from instancegen.service.core.metamodel import Attribute, Metamodel, Reference

FIX = Path(__file__).parent / "fixtures" / "ecore"
BAD = FIX / "bad"


def load(*names: str) -> Metamodel:
    return load_metamodel([FIX / n for n in names])


def feature_names(mm: Metamodel, key: str) -> list[str]:
    return [f.name for f in mm.classes[key].features]


# --- structure --------------------------------------------------------------------------------


def test_single_file_bank(root: Path) -> None:
    mm = load_metamodel([root / "metamodels" / "bank" / "bank.ecore"])
    assert list(mm.classes) == ["NamedElement", "Bank", "Account", "Person"]
    assert [c.key for c in mm.concrete_classes] == ["Bank", "Account", "Person"]
    assert mm.packages[0].ns_uri == "http://instancegen.example/bank"
    assert feature_names(mm, "Bank") == ["name", "bic", "accounts", "clients"]


@pytest.mark.parametrize("order", [("shop", "base"), ("base", "shop"), ("shop",)])
def test_cross_file_by_relative_path_and_by_nsuri(order: tuple[str, ...]) -> None:
    mm = load(*(f"multi/{n}.ecore" for n in order))
    shop = mm.classes["Shop"]
    assert shop.supertypes == ("Named", "Identified")
    products = shop.feature_map["products"]
    bestseller = shop.feature_map["bestseller"]  # eType given by nsURI
    assert isinstance(products, Reference) and products.target == "Product"
    assert isinstance(bestseller, Reference) and bestseller.target == "Product"
    assert mm.classes["Outlet"].supertypes == ("Named",)  # eSuperTypes by nsURI
    assert {p.name for p in mm.packages} == {"shop", "base"}
    assert mm.classes["Product"].package.name == "base"


def test_files_referring_to_each_other_in_a_cycle_by_nsuri_and_path(tmp_path: Path) -> None:
    paths = write_synthetic(tmp_path, classes=60, files=3)
    from_disk = load_metamodel(paths[::-1])
    in_memory = load_metamodel(synthetic_metamodel(classes=60, files=3))
    assert len(from_disk.classes) == len(in_memory.classes) == 60
    for key, cls in in_memory.classes.items():
        assert from_disk.classes[key].features == cls.features
        assert from_disk.classes[key].all_supertypes == cls.all_supertypes


def test_class_order_follows_the_given_files() -> None:
    mm = load("multi/base.ecore", "multi/shop.ecore")
    assert list(mm.classes) == ["Named", "Identified", "Product", "Shop", "Outlet"]


def test_several_packages_in_one_file_under_xmi_root() -> None:
    mm = load("xmi_root.ecore")
    assert [p.name for p in mm.packages] == ["zoo", "animals"]
    animals = mm.classes["Zoo"].feature_map["animals"]
    assert isinstance(animals, Reference) and animals.target == "Animal" and animals.containment
    assert mm.classes["Animal"].package.ns_uri == "http://test.example/animals"


def test_nested_subpackages_and_name_clashes_get_qualified_keys() -> None:
    mm = load("nested.ecore")
    assert set(mm.classes) == {"Car", "car.body.Part", "Door", "car.signals.Part"}
    targets = [r.target for r in mm.classes["Car"].references]
    # by local path, then by the subpackages' nsURIs
    assert targets == ["car.body.Part", "car.signals.Part", "car.signals.Part", "Door"]
    assert mm.classes["Door"].supertypes == ("car.body.Part",)
    assert mm.classes["car.body.Part"].package.path == "car.body"
    assert mm.classes["Door"].package.ns_uri == "http://test.example/car/body"


def test_ecore_types_by_nsuri_by_relative_path_and_by_platform_uri() -> None:
    mm = load("ecore_by_path.ecore")
    kinds = {a.name: a.type.kind for a in mm.classes["Doc"].attributes}
    assert kinds == {"title": "string", "pages": "int", "draft": "bool"}


def test_diamond_and_multiple_inheritance_follow_emf_feature_order() -> None:
    mm = load("diamond.ecore")
    # EMF's eAllStructuralFeatures: each supertype's features in order (first wins), then own.
    assert feature_names(mm, "D") == ["a", "b", "c", "e", "d"]
    assert feature_names(mm, "F") == ["e", "a", "b", "c", "d"]
    assert mm.classes["D"].all_supertypes == {"A", "B", "C", "E"}
    assert mm.is_subtype("F", "A") and not mm.is_subtype("A", "F")
    assert [c.key for c in mm.concrete_classes] == ["D", "F"]
    assert mm.classes["C"].interface and mm.classes["B"].abstract
    assert set(mm.concrete_subtypes("A")) == {"D", "F"}


ECORE_KINDS = {
    "EString": ("string", None, False),
    "EBoolean": ("bool", None, True),
    "EBooleanObject": ("bool", None, False),
    "EInt": ("int", "int", True),
    "EIntegerObject": ("int", "int", False),
    "ELong": ("int", "long", True),
    "ELongObject": ("int", "long", False),
    "EShort": ("int", "short", True),
    "EShortObject": ("int", "short", False),
    "EByte": ("int", "byte", True),
    "EByteObject": ("int", "byte", False),
    "EChar": ("char", None, True),
    "ECharacterObject": ("char", None, False),
    "EFloat": ("float", None, True),
    "EFloatObject": ("float", None, False),
    "EDouble": ("float", None, True),
    "EDoubleObject": ("float", None, False),
    "EBigInteger": ("bigint", None, False),
    "EBigDecimal": ("decimal", None, False),
    "EDate": ("date", None, False),
    "EJavaObject": ("object", None, False),  # a Java Object, written serialized
}


@pytest.mark.parametrize("ecore_type", sorted(ECORE_KINDS))
def test_every_ecore_data_type(ecore_type: str) -> None:
    attr = load("datatypes.ecore").classes["AllTypes"].feature_map[f"v{ecore_type}"]
    assert isinstance(attr, Attribute)
    t = attr.type
    assert (t.kind, t.int_size, t.primitive) == ECORE_KINDS[ecore_type]
    assert t.name == ecore_type


def test_custom_data_types_enums_defaults_and_bounds() -> None:
    mm = load("datatypes.ecore")
    attrs = {a.name: a for a in mm.classes["AllTypes"].attributes}
    assert (attrs["money"].type.kind, attrs["money"].type.name) == ("decimal", "Money")
    assert (attrs["count"].type.kind, attrs["count"].type.int_size) == ("int", "int")
    color = attrs["color"].type
    assert color.kind == "enum" and color.literals == ("RED", "GREEN", "BLUE")
    assert color.literal_values == ("RED", "green", "BLUE")
    assert {t.name for t in mm.datatypes.values()} == {"Money", "Count", "Color"}
    assert attrs["retries"].default == "3" and attrs["retries"].lower == 1
    assert attrs["label"].default == 'none "yet"'
    assert (attrs["tags"].lower, attrs["tags"].upper, attrs["tags"].many) == (1, 5, True)
    assert (attrs["scores"].upper, attrs["scores"].many) == (-1, True)
    assert (attrs["pair"].lower, attrs["pair"].upper) == (2, 2)
    assert not attrs["vEString"].many


def test_containment_opposites_ids_and_features_not_offered() -> None:
    mm = load("features.ecore")
    # derived, transient, volatile and non-changeable attributes are not for producers
    assert feature_names(mm, "Library") == ["books", "authors"]
    books = mm.classes["Library"].feature_map["books"]
    assert isinstance(books, Reference)
    assert (books.containment, books.lower, books.upper, books.opposite) == (
        True,
        1,
        -1,
        "library",
    )
    # the container end of a containment is implied by it, so not offered
    assert feature_names(mm, "Book") == ["isbn", "writtenBy"]
    isbn = mm.classes["Book"].feature_map["isbn"]
    assert isinstance(isbn, Attribute) and isbn.is_id
    written = mm.classes["Book"].feature_map["writtenBy"]
    assert isinstance(written, Reference)
    assert (written.opposite, written.lower, written.upper) == ("wrote", 1, 3)
    assert mm.containers_of["Book"] == (("Library", books),)


def test_package_without_nsuri_warns_and_gets_a_stand_in() -> None:
    mm = load("no_nsuri.ecore")
    assert mm.packages[0].ns_uri == "urn:instancegen:loose"
    assert len(mm.warnings) == 1 and "no nsURI" in mm.warnings[0]
    assert "no_nsuri.ecore" in mm.warnings[0]


def test_in_memory_upload_never_reads_the_disk() -> None:
    base = (FIX / "multi" / "base.ecore").read_text()
    shop = (FIX / "multi" / "shop.ecore").read_text()
    mm = load_metamodel({"base.ecore": base, "shop.ecore": shop})
    assert mm.classes["Shop"].supertypes == ("Named", "Identified")
    with pytest.raises(InputError, match=r"shop\.ecore.*base\.ecore.*not among the uploaded"):
        load_metamodel({"shop.ecore": shop})


def test_content_hash_depends_on_content_not_order() -> None:
    a = load("multi/base.ecore", "multi/shop.ecore")
    b = load("multi/shop.ecore", "multi/base.ecore")
    c = load("diamond.ecore")
    assert a.content_hash == b.content_hash != c.content_hash


# --- refused metamodels -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "feature", "what"),
    [
        ("featuremap.ecore", "Mixed.mixedContent", "without ExtendedMetaData"),
        ("group.ecore", "Holder.items", "'#itemGroup'"),
    ],
)
def test_feature_maps_nothing_explains_are_refused_naming_the_feature(
    name: str, feature: str, what: str
) -> None:
    with pytest.raises(InputError) as exc:
        load(name)
    assert feature in exc.value.message and what in exc.value.message


# --- bad input --------------------------------------------------------------------------------

BAD_CASES = {
    "nonexistent.ecore": "no such file",
    "empty.ecore": "empty",
    "not_xml.ecore": "not well-formed XML",
    "not_ecore.ecore": "not an Ecore metamodel",
    "truncated.ecore": "not well-formed XML",
    "missing_etype.ecore": "'#//Ghost' cannot be resolved",
    "missing_supertype.ecore": "'#//Parent' cannot be resolved",
    "missing_file.ecore": "nowhere.ecore: no such file",
    "missing_crossfile_class.ecore": "declares no 'NoSuchClass'",
    "unknown_nsuri.ecore": "http://test.example/unknown",
    "platform_ref.ecore": "platform:/resource/other.project/model/other.ecore",
    "xxe.ecore": "DOCTYPE",
    "billion_laughs.ecore": "DOCTYPE",
    "nameless_literal.ecore": "line 6: an enum literal has no name",
    "missing_index_path.ecore": "eType '/1/Ghost' cannot be resolved: the file declares no 'Ghost'",
    "annotation_ref.ecore": "points into the annotation 'duplicates'",
}


@pytest.mark.parametrize(("name", "problem"), sorted(BAD_CASES.items()))
def test_bad_input_is_an_input_error_naming_file_and_problem(name: str, problem: str) -> None:
    with pytest.raises(InputError) as exc:
        load_metamodel([BAD / name])
    message = exc.value.message
    assert name in message and problem in message
    assert "\n" not in message and "Traceback" not in message


def test_no_files_at_all() -> None:
    with pytest.raises(InputError, match="no metamodel"):
        load_metamodel([])


def test_a_directory_is_not_an_ecore_file() -> None:
    with pytest.raises(InputError, match="directory"):
        load_metamodel([FIX])


def test_xxe_never_reads_the_local_file() -> None:
    secret = Path("/etc/passwd").read_text().splitlines()[0]
    data = (BAD / "xxe.ecore").read_text()
    with pytest.raises(InputError) as exc:
        load_metamodel({"xxe.ecore": data})
    assert secret not in exc.value.message
    # and without the DOCTYPE guard nothing would have been fetched either: the entity stays
    assert secret not in str(exc.value.__context__ or "")


def test_billion_laughs_returns_fast_without_expanding() -> None:
    data = (BAD / "billion_laughs.ecore").read_bytes()
    start = time.perf_counter()
    with pytest.raises(InputError):
        load_metamodel({"lol.ecore": data})
    assert time.perf_counter() - start < 2.0


runner = CliRunner()
CONSOLE_SCRIPT = "from service.cli import main; main()"


@pytest.mark.parametrize("name", sorted(BAD_CASES))
def test_cli_bad_metamodel_exits_2_with_one_line(name: str) -> None:
    result = runner.invoke(app, ["inspect", "-m", str(BAD / name)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0], result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stdout == ""


@pytest.mark.parametrize("name", ["xxe.ecore", "missing_crossfile_class.ecore"])
def test_console_script_prints_no_traceback_and_no_file_content(name: str) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from service.cli import main; main()",
            "inspect",
            "-m",
            str(BAD / name),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and name in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    secret = Path("/etc/passwd").read_text().splitlines()[0]
    assert secret not in result.stderr


def test_same_named_enums_in_two_packages_are_both_kept() -> None:
    def package(name: str, literal: str) -> str:
        return (
            '<ecore:EPackage xmi:version="2.0" xmlns:xmi="http://www.omg.org/XMI" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xmlns:ecore="http://www.eclipse.org/emf/2002/Ecore" '
            f'name="{name}" nsURI="http://test.example/{name}" nsPrefix="{name}">'
            f'<eClassifiers xsi:type="ecore:EClass" name="{name.upper()}">'
            '<eStructuralFeatures xsi:type="ecore:EAttribute" name="kind" eType="#//Kind"/>'
            "</eClassifiers>"
            f'<eClassifiers xsi:type="ecore:EEnum" name="Kind"><eLiterals name="{literal}"/>'
            "</eClassifiers></ecore:EPackage>"
        )

    mm = load_metamodel({"a.ecore": package("a", "RED"), "b.ecore": package("b", "BLUE")})
    assert sorted(t.literals for t in mm.datatypes.values()) == [("BLUE",), ("RED",)]


def test_eobject_references_take_any_class_and_km3_types_act_as_their_java_class() -> None:
    mm = load_metamodel([FIX / "values.ecore"])
    assert mm.any_object == "EObject"
    extras = mm.classes["Catalog"].feature_map["extras"]
    assert isinstance(extras, Reference) and extras.target == "EObject"
    assert set(mm.concrete_subtypes("EObject")) == {"Catalog", "Item", "Label"}
    assert all(mm.is_subtype(k, "EObject") for k in ("Catalog", "Item", "Label"))
    assert not mm.classes["EObject"].concrete  # never an object of its own in a CIM
    item = mm.classes["Item"].feature_map
    kinds = {
        n: (a.type.kind, a.type.primitive) for n, a in item.items() if isinstance(a, Attribute)
    }
    assert kinds["count"] == ("int", False) and kinds["available"] == ("bool", True)
    note = mm.classes["Catalog"].feature_map["note"]
    assert isinstance(note, Attribute) and note.type.kind == "object"


def test_a_reference_to_another_ecore_class_is_refused_naming_it() -> None:
    text = (
        (FIX / "values.ecore")
        .read_text()
        .replace(
            'http://www.eclipse.org/emf/2002/Ecore#//EObject"/>',
            'http://www.eclipse.org/emf/2002/Ecore#//EClassifier"/>',
        )
    )
    with pytest.raises(InputError, match=r"Ecore's own EClassifier .* EObject"):
        load_metamodel({"values.ecore": text})


def test_percent_encoded_names_in_references_are_read_as_emf_reads_them() -> None:
    mm = load("encoded_names.ecore")
    assert mm.classes["Rules::OneOf"].supertypes == ("Rules::Constraint",)
    parts = mm.classes["Rules::OneOf"].feature_map["parts"]
    assert isinstance(parts, Reference) and parts.target == "Rules::Constraint"
