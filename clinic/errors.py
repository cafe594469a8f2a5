"""Named errors. Each carries a message a member of staff can read aloud or act on.

Pages catch :class:`ClinicError` and show ``str(err)`` next to the field or action concerned;
anything else is a bug and is logged, never shown with its traceback.
"""

from __future__ import annotations


class ClinicError(Exception):
    """Base of every error a user may see. ``field`` names the form field at fault, if any."""

    default_message = "Something went wrong."

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        super().__init__(message or self.default_message)
        self.field = field

    @property
    def message(self) -> str:
        return str(self)


class Busy(ClinicError):
    default_message = "The system is busy with another change. Please try again."


class DiskFull(ClinicError):
    default_message = ("The disk is full; nothing was saved. Ask your administrator to free space on the "
                       "server, then try again.")


class DatabaseLocked(ClinicError):
    def __init__(self, path: str) -> None:
        super().__init__(
            f"The database {path} is in use by another process (is the ClinicDesk app running?). "
            "Stop it first, or do this from inside the app."
        )
        self.path = path


class NotFound(ClinicError):
    default_message = "That record does not exist."


class ValidationError(ClinicError):
    """One or more fields are wrong. ``errors`` maps field name to message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        first = next(iter(self.errors.items()), ("", "Please correct the form."))
        super().__init__(first[1], field=first[0] or None)


# --- sign-in and users -----------------------------------------------------------------------


class BadLogin(ClinicError):
    # Same words for an unknown user, a wrong password and a deactivated account, so the
    # message does not reveal which usernames exist.
    default_message = "Wrong username or password."


class SignInLocked(BadLogin):
    """Too many failed sign-ins (for an account or a name that is none: the words are the same)."""

    def __init__(self, window) -> None:
        minutes = int(window.total_seconds() // 60)
        super().__init__(f"Too many failed sign-ins: this username is blocked for up to {minutes} minutes. "
                         "Try again later, or ask an administrator to unlock the account.")
        self.minutes = minutes


class NotAllowed(ClinicError):
    """Refused: the account is inactive, its session ended, or its role may not do this.

    Raised by a permission check (``db.actors.acting``) it says who was refused and what they
    tried, as the database held them at that moment: ``user_id``, ``username``, ``role``,
    ``action`` (a key of ``clinic.access.ACTIONS``; None when only the account was checked) and,
    when known, ``patient_id``. ``audit_pending`` is True until the refusal's one audit row is
    written (``db.atomic``, ``db.actors.current``), so it is written once however far the error
    travels. Raised anywhere else (no who, no audit row of its own) it is False.
    """

    default_message = "Your role does not give access to this."

    def __init__(self, message: str | None = None, *, field: str | None = None, user_id: int | None = None,
                 username: str | None = None, role: str | None = None, action: str | None = None,
                 patient_id: int | None = None, audit: bool = False) -> None:
        super().__init__(message, field=field)
        self.user_id, self.username, self.role = user_id, username, role
        self.action, self.patient_id = action, patient_id
        self.audit_pending = audit


class UsernameTaken(ClinicError):
    def __init__(self, username: str) -> None:
        super().__init__(f"The username “{username}” is already taken.", field="username")


class LastAdmin(ClinicError):
    default_message = "This is the last active admin: make someone else admin first."


# --- patients ----------------------------------------------------------------------------------


class PossibleDuplicates(ClinicError):
    """Likely duplicates exist; the user must pick one or confirm "create new anyway"."""

    def __init__(self, candidates: list) -> None:
        super().__init__(
            f"{len(candidates)} existing patient(s) look like this one. Open one of them, or confirm that "
            "this is a different person.",
            field="duplicates",
        )
        self.candidates = candidates


class DuplicateDocument(ClinicError):
    def __init__(self, filename: str, uploaded: str) -> None:
        super().__init__(f"This file is already in the patient's documents (“{filename}”, uploaded {uploaded}).",
                         field="file")


class NoteLocked(ClinicError):
    default_message = "This note is signed: add an addendum instead."


class StaleRecord(ClinicError):
    """A shared record (a patient's intake, a draft note) was saved by someone else after this
    user opened it: their save would silently undo that change, so it is refused."""

    default_message = "changed by someone else since you opened it"


# --- billing -----------------------------------------------------------------------------------


class BadAmount(ClinicError):
    """An amount that is not a positive number of whole cents (or is more than is due)."""

    default_message = "Enter a positive amount with at most 2 decimals, e.g. 12.50."

    def __init__(self, message: str | None = None, *, field: str | None = "amount") -> None:
        super().__init__(message, field=field)


class InvoiceNotEditable(ClinicError):
    default_message = ("This invoice is finalised: its lines cannot change. Void it and make a new one, "
                       "or post an adjustment.")

    def __init__(self, message: str | None = None, *, field: str | None = "lines") -> None:
        super().__init__(message, field=field)


class InvoiceNotPayable(ClinicError):
    default_message = "Money can be posted only to a finalised invoice that is not void."

    def __init__(self, message: str | None = None, *, field: str | None = "invoice") -> None:
        super().__init__(message, field=field)


class InvoiceAlreadyPaid(ClinicError):
    default_message = "This invoice is already paid in full: nothing is due on it."

    def __init__(self, message: str | None = None, *, field: str | None = "amount") -> None:
        super().__init__(message, field=field)


class VoidRefused(ClinicError):
    default_message = "Money was applied to this invoice, so it cannot be voided: post an adjustment instead."

    def __init__(self, message: str | None = None, *, field: str | None = "reason") -> None:
        super().__init__(message, field=field)


class NotEnoughCredit(ClinicError):
    default_message = "The patient has not that much credit."

    def __init__(self, message: str | None = None, *, field: str | None = "amount") -> None:
        super().__init__(message, field=field)


class InvalidClaimMove(ClinicError):
    def __init__(self, current: str, wanted: str) -> None:
        super().__init__(f"A claim that is {current.replace('_', ' ')} cannot be marked {wanted.replace('_', ' ')}.",
                         field="status")
        self.current, self.wanted = current, wanted


# --- inventory --------------------------------------------------------------------------------


class OutOfStock(ClinicError):
    """Not enough usable stock for what was asked; nothing was taken."""

    def __init__(self, message: str | None = None, *, field: str | None = "quantity",
                 available: int | None = None) -> None:
        super().__init__(message or "Not enough in stock.", field=field)
        self.available = available


# --- the data explorer -------------------------------------------------------------------------


class QueryRefused(ClinicError):
    """A data-explorer query that is not one read-only SELECT, or that ran past its limits."""

    def __init__(self, message: str | None = None, *, field: str | None = "sql") -> None:
        super().__init__(message or "That query is not allowed here.", field=field)
