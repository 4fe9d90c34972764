"""`python -m instancegen` runs the `instancegen` command line."""

from instancegen.service.cli import main

main()
