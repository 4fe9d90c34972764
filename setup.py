"""The compiled parts of the importers (Cython over lxml's C API); everything else is in
pyproject.toml."""

import lxml
from Cython.Build import cythonize
from setuptools import Extension, setup

setup(
    ext_modules=cythonize(
        [
            Extension(name, [f"{name.replace('.', '/')}.pyx"], include_dirs=lxml.get_include())
            for name in ("compilers._builder", "compilers._xmi_reader")
        ],
        language_level=3,
    )
)
