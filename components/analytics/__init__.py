"""The manager's Analytics page in pieces: the common controls (controls), the chart helpers
(charts), the tiles and tables shared with the weekly KPI PDF (summary), and one module per tab
(noshows, risk, billing, stock, utilization)."""
