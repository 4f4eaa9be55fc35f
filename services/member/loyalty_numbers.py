"""Loyalty numbers: the program's digit prefix, a sequence, and a Luhn check digit."""


def luhn_check_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def make_loyalty_number(*, prefix: str, sequence: int) -> str:
    body = f"{prefix}{sequence:010d}"
    return body + luhn_check_digit(body)


def is_valid_loyalty_number(value: str) -> bool:
    return value.isdigit() and len(value) >= 2 and luhn_check_digit(value[:-1]) == value[-1]
