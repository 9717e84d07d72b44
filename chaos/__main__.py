"""`python -m chaos`: the same as the `chaos-arena` command."""

from chaos.cli import main

raise SystemExit(main())
