"""`python -m chaos`: the same as the `chaos-arena` command."""

from chaos._cli import program

program()
