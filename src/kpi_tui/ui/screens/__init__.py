"""Screens pushed over the main view (help, alert history; drill-downs elsewhere)."""
