"""`python -m optiform` runs the command line."""

from optiform.cli import main

main()
