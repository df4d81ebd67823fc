from kpi_tui.cli import main

raise SystemExit(main())
