"""The optional compiled parts of the importers (Cython over lxml's C API); everything else is in
pyproject.toml.

Both extensions are `optional`: without a C compiler (or Python's headers) the build warns and
goes on, and the importers run their plain Python path (`compilers.import_core` chooses).
"""

import lxml
from Cython.Build import cythonize
from setuptools import Extension, setup

extensions = cythonize(
    [
        Extension(name, [f"{name.replace('.', '/')}.pyx"], include_dirs=lxml.get_include())
        for name in ("instancegen.compilers._builder", "instancegen.compilers._xmi_reader")
    ],
    language_level=3,
)
for extension in extensions:
    extension.optional = True  # set after cythonize, which does not carry it over

setup(ext_modules=extensions)
