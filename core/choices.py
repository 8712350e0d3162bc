"""Model choices from the enumerations the rules define once (`protocol.rules.values`)."""


def choices(codes: tuple[str, ...], labels: dict[str, str]) -> list[tuple[str, str]]:
    """Django choices from an enumeration defined once in `protocol.rules.values`."""
    return [(code, labels.get(code, code.replace("_", " ").capitalize())) for code in codes]
