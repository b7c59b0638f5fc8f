"""``python -m kaohe`` is the ``kaohe`` command."""

from kaohe.cli.main import main

main()
