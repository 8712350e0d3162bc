"""Short human references (`V-7K3M9Q`) for use on the phone and in letters."""

import secrets

# No 0/O, 1/I/L, U: hard to confuse when read aloud or written by hand.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 6


def new_reference(prefix: str) -> str:
    """A random reference such as `H-2PX8RD`; uniqueness is enforced by the database."""
    return f"{prefix}-" + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def new_victim_reference() -> str:
    return new_reference("V")


def new_case_reference() -> str:
    return new_reference("C")


def new_hold_reference() -> str:
    return new_reference("H")
