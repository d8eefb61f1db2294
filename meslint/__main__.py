from meslint.cli import main

raise SystemExit(main())
