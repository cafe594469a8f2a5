"""The Invoices tab of the ledger: filters (status, payer, provider, period, patient), the
selection's totals as tiles, the sortable table, the CSV download, and which invoice is open.

Money in the table is an Arrow decimal column straight from SQL (exact, sorts as a number, shown
in dollars); totals come summed from SQL (``db.invoice_ledger.ledger_totals``). Nothing is added up
here. Clicking a row opens that invoice (its number goes into "Open invoice no.").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import streamlit as st

from clinic import billing as rules
from clinic.errors import ClinicError
from clinic.money import money_text
from components import kpi
from components.audit.downloads import audited
from components.patient_search import patient_search
from components.report_cache import cached
from components.text import md
from db import Connection, invoice_ledger, patients, payers, providers

OPEN = "inv_open_no"  # the number of the invoice opened below the table
TABLE = "inv_table"
PATIENT = "inv_patient"
# The ledger's totals and table, kept until the next write (components.report_cache): with every date
# chosen they total all of a clinic's invoices, and a click that changes nothing need not do it again.
_ledger = cached(invoice_ledger)
PERIODS = ("All dates", "This month", "Last month", "Last 90 days", "This year", "Choose dates")
# The most rows the table lists (the newest); the tiles and the CSV take every invoice chosen.
TABLE_LIMIT = 2_000


@dataclass(frozen=True)
class Filters:
    status: list[str] | None
    payer_id: int | None
    provider_id: int | None
    start: date | None
    end: date | None
    patient_id: int | None

    def kwargs(self) -> dict:
        return {"status": self.status, "payer_id": self.payer_id, "provider_id": self.provider_id,
                "start": self.start, "end": self.end, "patient_id": self.patient_id}


def period_bounds(choice: str, today: date, chosen: tuple = ()) -> tuple[date | None, date | None]:
    """The service dates a period choice covers (both inclusive); (None, None) for all dates."""
    if choice == "This month":
        return today.replace(day=1), today
    if choice == "Last month":
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    if choice == "Last 90 days":
        return today - timedelta(days=89), today
    if choice == "This year":
        return today.replace(month=1, day=1), today
    if choice == "Choose dates" and len(chosen) == 2:
        return chosen[0], chosen[1]
    if choice == "Choose dates" and len(chosen) == 1:
        return chosen[0], chosen[0]
    return None, None


def _clear_patient() -> None:
    st.session_state.pop(PATIENT, None)


def filters(conn: Connection, today: date) -> Filters:
    ss = st.session_state
    status_col, payer_col, provider_col, period_col = st.columns([1.6, 1.3, 1.3, 1.2])
    with status_col:
        statuses = st.multiselect("Status", list(rules.INVOICE_STATUSES), key="inv_f_status",
                                  format_func=rules.INVOICE_STATUS_LABELS.get, placeholder="Any status")
    payer_names = {p.id: p.name for p in payers.list_payers(conn, active_only=False) if p.kind != "self_pay"}
    with payer_col:
        payer_id = st.selectbox("Payer", [None, invoice_ledger.PATIENT_ONLY, *payer_names], key="inv_f_payer",
                                format_func=lambda p: "Any payer" if p is None else (
                                    "Patient (no claim)" if p == invoice_ledger.PATIENT_ONLY else payer_names[p]))
    provider_names = {p.id: p.name for p in providers.list_providers(conn, active_only=False)}
    with provider_col:
        provider_id = st.selectbox("Provider", [None, *provider_names], key="inv_f_provider",
                                   format_func=lambda p: "Any provider" if p is None else provider_names[p])
    with period_col:
        period = st.selectbox("Service dates", PERIODS, key="inv_f_period")
    chosen: tuple = ()
    if period == "Choose dates":
        chosen = tuple(st.date_input("From – to", value=(today - timedelta(days=30), today), key="inv_f_dates",
                                     format="MM/DD/YYYY"))
    start, end = period_bounds(period, today, chosen)

    picked = patient_search("inv_f_patient_find", label="Patient", button_label="Only this patient",
                            icon=":material/filter_alt:", limit=8)
    if picked is not None:
        ss[PATIENT] = picked
    patient_id = ss.get(PATIENT)
    if patient_id is not None:
        name_col, button_col = st.columns([4, 1], vertical_alignment="center")
        name_col.markdown(f"Only invoices of **{md(patients.get(conn, patient_id).display_name)}**")
        button_col.button("All patients", key="inv_f_patient_clear", icon=":material/close:", on_click=_clear_patient)
    return Filters(list(statuses) or None, payer_id, provider_id, start, end, patient_id)


def totals(conn: Connection, chosen: Filters) -> int:
    """The selection's tiles; returns how many invoices it holds."""
    t = _ledger.ledger_totals(conn, **chosen.kwargs())
    kpi.tiles([
        kpi.Tile("Invoices", f"{t['count']:,}",
                 help=f"{t['drafts']:,} of them draft, lines worth {money_text(t['drafts_total'])} not billed yet."),
        kpi.Tile("Charges", money_text(t["charges"]), help="What finalised invoices bill (drafts and void: nothing)."),
        kpi.Tile("Paid", money_text(t["paid"]), help="Payments applied, net of refunds."),
        kpi.Tile("Adjusted", money_text(t["adjusted"])),
        kpi.Tile("Balance", money_text(t["balance"]),
                 help=f"Insurance owes {money_text(t['insurance_owes'])}; "
                      f"patients owe {money_text(t['patient_owes'])}."),
    ])
    return t["count"]


def _open_selected(ids: list[int]) -> None:
    event = st.session_state.get(TABLE) or {}
    picked = (event.get("selection") or {}).get("rows") or []
    if picked and picked[0] < len(ids):
        st.session_state[OPEN] = ids[picked[0]]


def table(conn: Connection, chosen: Filters, count: int) -> None:
    # An Arrow table straight from SQL: money stays exact decimals (never float), nothing is
    # computed on it here, and thousands of rows show at once. At most TABLE_LIMIT, the newest:
    # years of a large clinic's invoices would take seconds to send to the browser on every visit.
    rows = _ledger.ledger_table(conn, **chosen.kwargs(), limit=TABLE_LIMIT)
    if not rows.num_rows:
        st.info("No invoice matches these filters.")
        return
    ids = rows.column("Invoice").to_pylist()
    money = st.column_config.NumberColumn(format="dollar")
    st.dataframe(
        rows, key=TABLE, hide_index=True, on_select=lambda: _open_selected(ids),
        selection_mode="single-row", height=420,
        column_config={"Invoice": st.column_config.NumberColumn(format="%d"),
                       "Service date": st.column_config.DateColumn(format="MM/DD/YYYY"),
                       "Charges": money, "Paid": money, "Adjusted": money, "Balance": money},
    )
    if count > rows.num_rows:
        st.caption(f"The newest {rows.num_rows:,} of these {count:,} invoices are listed (the tiles count them "
                   "all): narrow the filters to see others, or download the CSV for every one.")
    st.caption("Click a row to open the invoice; click a column's title to sort.")
    st.download_button("Download CSV", key="inv_csv", icon=":material/download:",
                       **audited("invoice_ledger_csv", lambda: invoice_ledger.ledger_csv(conn, **chosen.kwargs()), category="billing", entity="invoice_ledger",
                                 patient_id=chosen.patient_id, detail={"rows": count}),
                       file_name="invoices.csv", mime="text/csv")


def show(conn: Connection, today: date) -> int | None:
    """Filters, totals, table; returns the number of the invoice to open (or None)."""
    chosen = filters(conn, today)
    try:
        table(conn, chosen, totals(conn, chosen))
    except ClinicError as exc:
        st.error(str(exc), icon=":material/error:")
    return st.number_input("Open invoice no.", min_value=1, step=1, value=None, key=OPEN,
                           placeholder="Type a number or click a row")
