"""`python -m bot` is the same as the `sebaya` console script."""

from bot.cli import main

raise SystemExit(main())
