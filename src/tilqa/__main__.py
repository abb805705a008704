"""`python -m tilqa …` is the `tilqa` command."""

from .cli import main

main()
