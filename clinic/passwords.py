"""Passwords: argon2id hashing (argon2-cffi's defaults, RFC 9106 low-memory profile) and the rules
a new password must pass.

The rules (NIST SP 800-63B, 3.1.1.2): long enough (``password_min_length``, default 12), not a
common or easily guessed password, and not containing the username. "Common" is zxcvbn's verdict
(the Dropbox estimator, pinned in requirements.txt): it knows the 30,000 most used passwords and
English words, names, keyboard rows, sequences, repeats and dates, and a password it can guess in
under a million tries (its score 0 or 1) is refused. No rules about symbols or digits: length and
not being on a list are what make a password hard to guess.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

from clinic.errors import ValidationError

_hasher = PasswordHasher()  # argon2id

MIN_LENGTH = 12  # the default of the password_min_length setting
# zxcvbn refuses longer input; a password this long has been judged by its first 72 characters.
_JUDGED_CHARS = 72
# A username this short ("al") is too likely to occur by chance to refuse passwords that contain it.
_USERNAME_MIN_CHARS = 3
_GUESSABLE_SCORE = 1  # zxcvbn 0: under 10^3 guesses, 1: under 10^6


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when ``stored_hash`` was made with other argon2 parameters than today's (it is then
    hashed again at the next successful sign-in)."""
    return _hasher.check_needs_rehash(stored_hash)


def is_common(password: str) -> bool:
    """True for a password on the common-passwords list or otherwise guessed in under a million
    tries (a word with a year, a keyboard row, a repeat)."""
    # No user_inputs: zxcvbn keeps them in a module-wide dictionary, shared between threads.
    return zxcvbn(password[:_JUDGED_CHARS])["score"] <= _GUESSABLE_SCORE


def check_new_password(
    password: str, *, min_length: int = MIN_LENGTH, username: str = "", allow_short: bool = False
) -> None:
    """Raise ValidationError (field ``password``) when a new password is unacceptable.

    ``allow_short`` exists only for the demo seeder's well-known ``demo`` password: it skips the
    length and the common-password rules.
    """
    if not password or not password.strip():
        raise ValidationError({"password": "Enter a password."})
    if allow_short:
        return
    if len(password) < min_length:
        raise ValidationError({"password": f"Use at least {min_length} characters."})
    name = (username or "").strip().lower()
    if len(name) >= _USERNAME_MIN_CHARS and name in password.lower():
        raise ValidationError({"password": "Do not put the username in the password."})
    if is_common(password):
        raise ValidationError({"password": "This password is too common or too easy to guess (a well-known "
                                           "password, a word with a year, a keyboard row, a repeat). "
                                           "Try a few unrelated words."})
