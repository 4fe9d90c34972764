"""Read an instance model from bytes, whatever its format, into a CIM.

The CLI's `validate`, `compile` and `score` and the HTTP API all accept CIM JSON and XMI;
this is the one place that tells them apart.
"""

from __future__ import annotations

from pathlib import Path

from service.cim import Cim, parse_cim
from service.errors import InputError
from service.metamodel import Metamodel


def read_model_file(path: Path, metamodel: Metamodel) -> Cim:
    """Read a model file (CIM `.json` or `.xmi`), naming the file in any error."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file.") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a model file.") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror}).") from None
    return read_model(data, str(path), metamodel)


def read_model(data: bytes, name: str, metamodel: Metamodel) -> Cim:
    """Decode `data` as a CIM (JSON). Other formats are added by their importers."""
    return parse_cim(data, name)
