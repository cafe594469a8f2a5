"""Password hashing with argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from clinic.errors import ValidationError

_hasher = PasswordHasher()  # argon2id

MIN_LENGTH = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def check_new_password(password: str, *, allow_short: bool = False) -> None:
    """Raise ValidationError when a new password is unacceptable.

    ``allow_short`` exists only for the demo seeder's well-known ``demo`` password.
    """
    if not password or not password.strip():
        raise ValidationError({"password": "Enter a password."})
    if not allow_short and len(password) < MIN_LENGTH:
        raise ValidationError({"password": f"Use at least {MIN_LENGTH} characters."})
