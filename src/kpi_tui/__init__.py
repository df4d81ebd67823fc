"""kpi-tui: the average value of a customer, and why it moves."""

__version__ = "0.1.0"
