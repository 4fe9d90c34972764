"""`python -m service` runs the `instancegen` command line."""

from service.cli import main

main()
