"""The Audit trail page's pieces (admin, manager): the filters, the report (sortable, paged
table in clinic time, CSV), the tamper check, and ``downloads.audited``, which every download
and print button in the app passes to ``st.download_button`` so that the file leaving the app
leaves an ``export.<what>`` audit row.

Reading the report is audited once per distinct question (filters, sort, page), not on every
rerun: db.audit_report.record_read.
"""

from components.audit.chain import chain_panel
from components.audit.emergency import emergency_review
from components.audit.filters import filters
from components.audit.report import report

__all__ = ["chain_panel", "emergency_review", "filters", "report"]
