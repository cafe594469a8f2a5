"""The patient file, one module per section: header, appointments, billing, documents, messages
and calls, visit notes, intake history and merging a duplicate (plus ``context``, what they share).
pages/patients.py puts them together.

Things that matter in every section:

* Opening a file is audited once per opening (:func:`record_opening`), not on every rerun.
* Everything typed by people (names, notes, subjects, file names) is shown through
  components.text.md, a dataframe, or a disabled text area: never as live Markdown or HTML.
* Button callbacks hand the db/ function the user the page was drawn for; the db/ function
  re-reads that account inside its transaction (db.actors.acting), so an account deactivated or
  demoted since the page was drawn is refused at the moment of the write or the download.
"""

from components.patient_file.appointments import appointments_tab
from components.patient_file.billing import billing_tab
from components.patient_file.context import FileContext, forget_opening, record_opening
from components.patient_file.documents import documents_tab
from components.patient_file.emergency import banner as emergency_banner
from components.patient_file.emergency import clinical_access, closed_notes
from components.patient_file.header import header
from components.patient_file.history import history_tab
from components.patient_file.merge import merge_section
from components.patient_file.messages import messages_tab
from components.patient_file.notes import notes_tab

__all__ = ["FileContext", "appointments_tab", "billing_tab", "clinical_access", "closed_notes", "documents_tab",
           "emergency_banner", "forget_opening", "header", "history_tab", "merge_section", "messages_tab", "notes_tab",
           "record_opening"]
