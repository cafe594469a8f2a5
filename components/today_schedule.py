"""Today's moving parts: the tiles and waiting room, and each provider's part of the day.

Each provider's part is a fragment of its own, and so are the tiles with the waiting room: a click
on a row (check in, start, complete, no-show and its confirmation, undo with a reason, showing
earlier or later visits) reruns that provider's part, and, when it changed a visit, the tiles and
the waiting room (``st.rerun`` with fragment keys from the button's callback), never the whole page.

At check-out (a completed visit) of a patient who owes money, the roles that take payments get a
"Take payment" link to the Billing tab of the patient's file. A visit still expected (scheduled or
confirmed) whose no-show risk is medium or high carries a marker, its reasons in the help text:
the day's expected visits are scored once per full run (``db.noshow_risk``, its model fitted once
a day), and a part rerun alone reuses those scores.

A fragment rerun calls its function again with the arguments of the last full run, so the rows
are not passed in: the full run reads the day once and hands each part its rows
(:attr:`DayScreen.prefetched`, taken on first use); a part rerun alone reads its own again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import streamlit as st

from clinic import frontdesk, noshow_risk, scheduling, timeutil, today_view
from clinic.access import can_do
from clinic.errors import ClinicError
from clinic.money import money_text
from clinic.scheduling import STATUS_COLOURS, STATUS_LABELS, Rules
from components.kpi import Tile, tiles
from components.text import md
from db import Connection, appointments, ar_reports, users
from db import noshow_risk as risk_model

PATIENTS_PAGE = "pages/patients.py"  # its url_path is its file stem, as app.py registers every page
SUMMARY_KEY = "today_summary"
ERRORS_KEY = "_today_row_errors"  # {appointment id: (provider id, patient, message)}
CONFIRM_KEY = "_today_confirm_no_show"  # the appointment whose no-show awaits "Yes, no-show"
UNDO_KEY = "_today_undo"  # the appointment whose undo reason is being typed
TOAST_KEY = "_today_done"  # what the last click did, for a toast
EARLIER_KEY, LATER_KEY = "_today_show_earlier", "_today_show_later"  # provider ids unfolded
UNDO = "undo"
# Above this many entries, the waiting room and the bookable gaps scroll in a box this high (px).
LIST_ROWS, LIST_HEIGHT = 6, 360
UNDONE = {"no_show": "No-show of {} undone: expected again.", "completed": "Completion of {} undone: checked in again."}

ACTION_ICONS = {frontdesk.CHECK_IN: ":material/how_to_reg:", frontdesk.START: ":material/play_arrow:",
                frontdesk.COMPLETE: ":material/task_alt:", frontdesk.NO_SHOW: ":material/person_off:"}

ss = st.session_state


@dataclass
class DayScreen:
    """What every part of one Today page run shares (the same object serves the part reruns)."""

    conn: Connection
    user: users.User
    tz: str
    day: date
    day_start: datetime
    day_end: datetime
    is_today: bool
    attendance_open: bool
    rules: Rules
    query: str = ""
    hide_finished: bool = False
    fold_other_days: bool = False
    own_provider_id: int | None = None
    may_act_on_others: bool = False
    # The patient file as a page object, made once per full run: a link to it then needs no
    # look-up of the registered pages (nor a file-system path resolution per row).
    patients_page: st.Page | None = None
    provider_filter: int | None = None  # the page's provider choice (None: everybody)
    # Rows read by the full run: SUMMARY_KEY -> the page's rows, provider id -> that provider's.
    prefetched: dict[int | str, list] = field(default_factory=dict)
    # What each patient checked out owes, read by the full run in one query for every provider
    # (not one per provider's part): provider id -> patient id -> amount, taken once like
    # ``prefetched``; a part rerun alone reads its own patients' again.
    owed_prefetched: dict[int, dict[int, Decimal]] = field(default_factory=dict)
    # No-show risk of the day's visits still expected, by appointment id: scored by the full run's
    # summary (one query), kept for the part reruns (a click there changes no one's risk).
    risks: dict[int, noshow_risk.Risk] | None = None

    def risk_of(self, rows: list) -> dict[int, noshow_risk.Risk]:
        """The no-show risks of ``rows`` still expected (the day's, scored once per full run)."""
        if self.risks is None:
            expected = [r.id for r in rows if r.status in today_view.WAITING_FOR_ARRIVAL]
            self.risks = risk_model.score_upcoming(self.conn, appointment_ids=expected) if expected else {}
        return self.risks

    def prefetch_owed(self, rows: list) -> None:
        owed = owed_at_check_out(self.conn, rows)
        for r in rows:
            part = self.owed_prefetched.setdefault(r.provider_id, {})
            if r.patient_id in owed:
                part[r.patient_id] = owed[r.patient_id]

    def rows(self, part: int | str) -> list[appointments.AppointmentRow]:
        """A part's rows (a provider id, or SUMMARY_KEY for the page's) as the full run read them,
        taken once; a part rerun alone reads them again."""
        rows = self.prefetched.pop(part, None)
        if rows is None:
            provider_id = self.provider_filter if part == SUMMARY_KEY else part
            rows = appointments.list_rows(self.conn, self.day_start, self.day_end, provider_id=provider_id)
        return rows

    def local(self, instant: datetime) -> str:
        return f"{timeutil.to_local(instant, self.tz):%H:%M}"

    def actionable(self, provider_id: int) -> bool:
        own = self.own_provider_id is not None and self.own_provider_id == provider_id
        return self.attendance_open and (own or self.may_act_on_others)


def card_key(provider_id: int) -> str:
    return f"today_p{provider_id}"


def unfold(key: str, provider_id: int, on: bool) -> None:
    shown = set(ss.get(key, ()))
    (shown.add if on else shown.discard)(provider_id)
    ss[key] = shown


def back_to_now() -> None:
    """Fold every provider's list back around now (the "Jump to now" button)."""
    for key in (EARLIER_KEY, LATER_KEY, CONFIRM_KEY, UNDO_KEY):
        ss.pop(key, None)


# --- the tiles and the waiting room -----------------------------------------------------------


def summary(screen: DayScreen, tiles_box, waiting_box) -> None:
    """Draw the tiles into ``tiles_box`` and the waiting room into ``waiting_box`` (containers of
    the page), as a fragment: a row's click reruns it alongside the provider's part."""
    st.fragment(key=SUMMARY_KEY)(_summary)(screen, tiles_box, waiting_box)


def _summary(screen: DayScreen, tiles_box, waiting_box) -> None:
    rows = screen.rows(SUMMARY_KEY)
    now = timeutil.now_utc()
    screen.risk_of(rows)  # the day's visits still expected, scored once for every provider's part
    counts = frontdesk.day_counts(rows)
    late = sum(1 for r in rows if screen.is_today and today_view.late_minutes(r, now) is not None)
    with tiles_box:
        tiles([
            Tile("To arrive", counts.to_arrive, "Scheduled or confirmed, not checked in yet."),
            Tile("Late", late, f"Expected more than {today_view.LATE_AFTER_MIN} minutes ago, not checked in."),
            Tile("Waiting", counts.waiting, "Checked in, not yet taken in."),
            Tile("With provider", counts.with_provider, "Taken in, visit not completed yet."),
            Tile("Completed", counts.completed),
            Tile("No-shows", counts.no_show),
        ])
    with waiting_box:
        st.subheader("Waiting room", divider="gray")
        waiting = frontdesk.waiting_room(rows, now)
        if not waiting:
            st.caption("Nobody is waiting.")
        # A long waiting room scrolls in its box, so the schedule below stays near the top.
        with st.container(height=LIST_HEIGHT if len(waiting) > LIST_ROWS else "content", border=False):
            for w in waiting:
                colour = "red" if w.long else "orange"
                st.markdown(
                    f"**{md(w.patient)}** :{colour}-badge[{frontdesk.waited_label(w.minutes)}]  \n"
                    f":gray[for {md(w.provider)} at {screen.local(w.start_at)} · arrived {screen.local(w.arrived_at)}]"
                )


# --- one provider's part of the day -----------------------------------------------------------


def provider_part(screen: DayScreen, provider_id: int, name: str) -> None:
    """One provider's bordered card with their visits, as a fragment keyed by the provider."""
    st.fragment(key=card_key(provider_id))(_provider_part)(screen, provider_id, name)


def _window(screen: DayScreen, provider_id: int, rows: list, now: datetime) -> today_view.Window:
    if screen.query:
        return today_view.Window()
    if screen.is_today:
        window = today_view.now_window(now, screen.tz)
        return today_view.Window(None if provider_id in ss.get(EARLIER_KEY, ()) else window.start,
                                 None if provider_id in ss.get(LATER_KEY, ()) else window.end)
    if screen.fold_other_days and provider_id not in ss.get(LATER_KEY, ()):
        return today_view.preview_window(rows)
    return today_view.Window()


def _provider_part(screen: DayScreen, provider_id: int, name: str) -> None:
    now = timeutil.now_utc()
    done = ss.pop(TOAST_KEY, None)
    if done:  # the click that changed a visit of this provider, confirmed (not from the callback:
        st.toast(done, icon=":material/check_circle:")  # a fragment's callback must not draw)
    rows = [r for r in screen.rows(provider_id) if today_view.matches(r, screen.query)]
    visible = [r for r in rows if not (screen.hide_finished and frontdesk.is_finished(r.status))]
    part = today_view.split(visible, _window(screen, provider_id, visible, now))
    actionable = screen.actionable(provider_id)
    own = screen.own_provider_id == provider_id
    with st.container(border=True, key=f"today_provider_{provider_id}"):
        st.markdown(f"#### {md(name)}" + (" :blue-badge[You]" if own else ""))
        if part.earlier or (screen.is_today and provider_id in ss.get(EARLIER_KEY, ()) and not screen.query):
            unfolded = provider_id in ss.get(EARLIER_KEY, ())
            n = len(part.earlier)
            st.button("Hide earlier visits" if unfolded else f"Show {n} earlier visit{'s' if n != 1 else ''}",
                      key=f"today_earlier_{provider_id}", type="tertiary",
                      icon=":material/expand_less:" if unfolded else ":material/history:",
                      on_click=unfold, args=(EARLIER_KEY, provider_id, not unfolded))
        if not visible:
            st.caption("Every visit is finished." if rows else "No visit matches the name typed.")
        drawn = set()
        now_marked = not screen.is_today
        owed = _owed_at_check_out(screen, provider_id, part.shown)
        risks = screen.risk_of(part.shown)
        for row in part.shown:
            if not now_marked and row.start_at > now:
                if drawn:  # between the visits already due and those still to come
                    st.caption(f":red[— now {screen.local(now)} —]")
                now_marked = True
            _row(screen, row, now, actionable, provider_id, owed.get(row.patient_id), risks.get(row.id))
            drawn.add(row.id)
        if part.later or (provider_id in ss.get(LATER_KEY, ()) and not screen.query):
            unfolded = provider_id in ss.get(LATER_KEY, ())
            n = len(part.later)
            more = "later" if screen.is_today else "more"
            st.button("Hide later visits" if unfolded else f"Show {n} {more} visit{'s' if n != 1 else ''}",
                      key=f"today_later_{provider_id}", type="tertiary",
                      icon=":material/expand_less:" if unfolded else ":material/expand_more:",
                      on_click=unfold, args=(LATER_KEY, provider_id, not unfolded))
        # A click on a visit that has left the list (cancelled on the calendar): say why here.
        errors = ss.get(ERRORS_KEY, {})
        for appointment_id in [i for i, e in errors.items() if e[0] == provider_id and i not in drawn]:
            _, patient, message = errors.pop(appointment_id)
            st.error(f"{md(patient)}: {message}", icon=":material/error:")


def _risk_marker(row, risk: noshow_risk.Risk | None) -> tuple[str, str | None]:
    """A badge for a medium or high no-show risk of a visit still expected, and its reasons."""
    if risk is None or risk.band == "low" or row.status not in today_view.WAITING_FOR_ARRIVAL:
        return "", None
    label = noshow_risk.BAND_LABELS[risk.band]
    why = ", ".join(risk.reasons) or "like visits that were missed before"
    return (f" :{noshow_risk.BAND_COLOURS[risk.band]}-badge[:material/warning: {label} no-show risk]",
            f"{label} no-show risk (about {risk.score:.0%}): {why}.")


def _status_badges(screen: DayScreen, row, now: datetime) -> str:
    label = STATUS_LABELS.get(row.status, row.status)
    colour = STATUS_COLOURS.get(row.status, "gray")
    if row.status == "checked_in" and row.started_at is not None:
        label, colour = "Checked in · with provider", "violet"
    badges = [f":{colour}-badge[{label}]"]
    late = today_view.late_minutes(row, now) if screen.is_today else None
    if late is not None:
        badges.append(f":red-badge[:material/schedule: {today_view.late_label(late)}]")
    if row.first_visit:
        badges.append(":blue-badge[New patient]")
    arrival = []
    if row.arrived_at is not None:
        arrival.append(f"arrived {screen.local(row.arrived_at)}")
        if row.status == "checked_in":
            arrival.append(frontdesk.waited_label(frontdesk.waiting_minutes(row.arrived_at, now))
                           if row.started_at is None else f"in since {screen.local(row.started_at)}")
    return " ".join(badges) + (f" :gray[{' · '.join(arrival)}]" if arrival else "")


def takes_payments(screen: DayScreen) -> bool:
    return screen.patients_page is not None and can_do(screen.user.role, "billing.payment")


def owed_at_check_out(conn: Connection, rows: list) -> dict[int, Decimal]:
    """What each patient checked out (visit completed) among ``rows`` owes, by patient id."""
    return ar_reports.balances_for(conn, [r.patient_id for r in rows if r.status == "completed"])


def _owed_at_check_out(screen: DayScreen, provider_id: int, rows: list) -> dict:
    """What each patient checked out owes, for the roles that take payments."""
    if not takes_payments(screen):
        return {}
    owed = screen.owed_prefetched.pop(provider_id, None)
    return owed if owed is not None else owed_at_check_out(screen.conn, rows)


def _row(screen: DayScreen, row, now: datetime, actionable: bool, provider_id: int, owes=None, risk=None) -> None:
    with st.container(horizontal=True, vertical_alignment="center", gap="small", key=f"today_row_{row.id}"):
        st.markdown(f"**{screen.local(row.start_at)}**  \n:gray[{screen.local(row.end_at)}]", width=52)
        if screen.patients_page is not None:
            st.page_link(screen.patients_page, label=md(row.patient), query_params={"patient": str(row.patient_id)},
                         icon=":material/folder_shared:", help=f"Open the patient file · MRN {row.mrn}", width=240)
        else:
            st.markdown(f"{md(row.patient)}  \n:gray[MRN {md(row.mrn)}]", width=240)
        reason = f" · :gray[{md(row.reason)}]" if row.reason else ""
        marker, why = _risk_marker(row, risk)
        st.markdown(f"{md(row.visit_type)}{reason}  \n{_status_badges(screen, row, now)}{marker}", width="stretch",
                    help=md(why) if why else None)
        if owes and row.status == "completed":
            st.page_link(screen.patients_page, label=f"Take payment · {md(money_text(owes))}",
                         icon=":material/payments:", query_params={"patient": str(row.patient_id), "tab": "billing"},
                         help="The patient owes this on finalised invoices: the Billing tab of their file.")
        if actionable:
            _actions(screen, row, now, provider_id)
    error = ss.get(ERRORS_KEY, {}).pop(row.id, None)
    if error:
        st.error(error[2], icon=":material/error:")


def _actions(screen: DayScreen, row, now: datetime, provider_id: int) -> None:
    appointment_id = row.id
    args = (screen, appointment_id, provider_id, row.patient)
    if ss.get(CONFIRM_KEY) == appointment_id and row.status in today_view.WAITING_FOR_ARRIVAL:
        st.markdown(f"**Mark {md(row.patient)} as a no-show?**", width="content")
        st.button("Yes, no-show", key=f"noshow_yes_{appointment_id}", type="primary",
                  icon=ACTION_ICONS[frontdesk.NO_SHOW], on_click=act, args=(*args, frontdesk.NO_SHOW))
        st.button("Keep", key=f"noshow_keep_{appointment_id}", on_click=ss.pop, args=(CONFIRM_KEY, None))
        return
    back_to = scheduling.undo_move(row.status)
    if back_to is not None and ss.get(UNDO_KEY) == appointment_id:
        st.text_input("Why undo?", key=f"undo_reason_{appointment_id}", label_visibility="collapsed",
                      placeholder="Why undo? (kept in the history)", width=260)
        st.button(scheduling.UNDO_LABELS[(row.status, back_to)], key=f"undo_yes_{appointment_id}",
                  type="primary", icon=":material/undo:", on_click=act, args=(*args, UNDO))
        st.button("Keep", key=f"undo_keep_{appointment_id}", on_click=ss.pop, args=(UNDO_KEY, None))
        return
    actions = frontdesk.row_actions(row.status, row.started_at is not None)
    if frontdesk.NO_SHOW in actions and now < row.start_at:
        # Not offered before the visit starts; from its start, disabled until the grace period
        # has passed (saying from when), then offered with a confirmation.
        actions.remove(frontdesk.NO_SHOW)
    primary = frontdesk.primary_action(actions)
    for action in actions:
        kwargs = {}
        if action == frontdesk.NO_SHOW:
            possible = scheduling.no_show_possible_from(row.start_at, screen.rules)
            if now < possible:
                kwargs = {"disabled": True, "help": f"Possible from {screen.local(possible)} "
                          f"({screen.rules.no_show_grace_min} minutes after the start)."}
            on_click, click_args = ss.__setitem__, (CONFIRM_KEY, appointment_id)
        else:
            on_click, click_args = act, (*args, action)
        st.button(frontdesk.ACTION_LABELS[action], key=f"{frontdesk.ACTION_KEYS[action]}_{appointment_id}",
                  icon=ACTION_ICONS[action], type="primary" if action == primary else "secondary",
                  on_click=on_click, args=click_args, **kwargs)
    if back_to is not None:
        st.button(scheduling.UNDO_LABELS[(row.status, back_to)], key=f"undo_{appointment_id}", type="tertiary",
                  icon=":material/undo:", on_click=ss.__setitem__, args=(UNDO_KEY, appointment_id),
                  help="For a mistake: asks why, and keeps it in the visit's history.")


def act(screen: DayScreen, appointment_id: int, provider_id: int, patient: str, action: str) -> None:
    """One click on a row's action (a callback: runs before the parts are drawn again)."""
    errors = ss.setdefault(ERRORS_KEY, {})
    errors.pop(appointment_id, None)
    try:
        if action == frontdesk.START:
            appointments.mark_started(screen.conn, appointment_id, user=screen.user)
        elif action == UNDO:
            was = appointments.get(screen.conn, appointment_id).status
            back_to = scheduling.undo_move(was)
            if back_to is None:
                raise ClinicError("This visit has changed since: there is nothing to undo.", field="status")
            appointments.change_status(screen.conn, appointment_id, back_to, user=screen.user,
                                       reason=ss.get(f"undo_reason_{appointment_id}"))
        else:
            appointments.change_status(screen.conn, appointment_id, action, user=screen.user)
    except ClinicError as exc:
        # Nothing changed: the click's own rerun (this provider's part) shows why.
        errors[appointment_id] = (provider_id, patient, str(exc))
        if action != UNDO:  # an undo keeps its reason field open, with what was typed
            ss.pop(CONFIRM_KEY, None)
        return
    ss.pop(CONFIRM_KEY, None)
    ss.pop(UNDO_KEY, None)
    ss.pop(f"undo_reason_{appointment_id}", None)
    done = UNDONE[was] if action == UNDO else frontdesk.ACTION_DONE[action]
    ss[TOAST_KEY] = done.format(md(patient))  # shown by the provider's part as it redraws
    # A visit changed: this provider's part and the tiles with the waiting room, not the whole page.
    st.rerun([card_key(provider_id), SUMMARY_KEY])
