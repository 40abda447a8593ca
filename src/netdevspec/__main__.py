"""``python -m netdevspec``: the same as the ``netdevspec`` command."""

from netdevspec.cli import main

raise SystemExit(main())
