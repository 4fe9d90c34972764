"""Models in files: read any format into a CIM, and pyecore interop."""
