"""engine.durations: the contract duration grammar of docs/FORMAT.md ("Durations")."""

import pytest

from engine.model.durations import MAX_BUSINESS_DAYS, MAX_HOURS, MAX_MINUTES, Duration, DurationTooLong, parse_duration


@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [
        # FORMAT.md "Durations": "N minute(s)", "N hour(s)", "N business day(s)".
        ("30 minutes", 30, "minutes"),  # ADOBE-RT-ULTIMATE P2
        ("1 minute", 1, "minutes"),
        ("15 minutes", 15, "minutes"),  # ADOBE-RT-ULTIMATE P1
        ("1 hour", 60, "minutes"),  # hours are converted to minutes: 1 x 60
        ("2 hours", 120, "minutes"),  # 2 x 60
        ("72 hours", 4320, "minutes"),  # P1-RES P1: 72 x 60
        ("1 business day", 1, "business_days"),  # ADOBE-RT-EXPERT P4
        ("4 business days", 4, "business_days"),  # P1-RES P2
        ("0 minutes", 0, "minutes"),  # N >= 0
        ("1 hours", 60, "minutes"),  # "hour(s)": either spelling is accepted
        ("2 minute", 2, "minutes"),
    ],
)
def test_parse(text: str, amount: int, unit: str) -> None:
    d = parse_duration(text)
    assert (d.amount, d.unit) == (amount, unit)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        # str() gives the contract's own wording back (hours stay hours), normalised in number.
        ("30 minutes", "30 minutes"),
        ("1 minute", "1 minute"),
        ("2 hours", "2 hours"),
        ("1 hour", "1 hour"),
        ("1 hours", "1 hour"),
        ("120 minutes", "120 minutes"),  # written in minutes: not turned into "2 hours"
        ("1 business day", "1 business day"),
        ("4 business days", "4 business days"),
        ("0 business days", "0 business days"),
    ],
)
def test_str_keeps_the_written_unit(text: str, shown: str) -> None:
    assert str(parse_duration(text)) == shown


def test_hours_and_minutes_are_the_same_target() -> None:
    # 2 hours and 120 minutes count the same open time, so they compare (and hash) equal.
    assert parse_duration("2 hours") == parse_duration("120 minutes") == Duration(120, "minutes")
    assert hash(parse_duration("2 hours")) == hash(Duration(120, "minutes"))
    assert parse_duration("1 business day") != parse_duration("1 minute")


def test_constructors_and_seconds() -> None:
    assert Duration.hours(2) == Duration(120, "minutes") and str(Duration.hours(2)) == "2 hours"
    assert Duration.minutes(30).seconds == 1800  # 30 x 60
    assert parse_duration("2 hours").seconds == 7200  # 120 x 60
    assert Duration.business_days(3).is_business_days
    assert not Duration.minutes(3).is_business_days


def test_business_days_have_no_fixed_seconds() -> None:
    # A business day's length depends on the calendar (docs/INTERFACE.md "Time").
    with pytest.raises(ValueError, match="no fixed length in seconds"):
        _ = parse_duration("1 business day").seconds


@pytest.mark.parametrize(
    "text",
    [
        "2 hrs",
        "2h",
        "2  hours",  # single spaces only
        " 2 hours",
        "2 hours ",
        "2 Hours",  # lowercase only
        "two hours",
        "-1 minutes",  # N >= 0
        "1.5 hours",  # whole numbers only
        "1 day",  # only business days
        "1 business-day",
        "",
        "٣ minutes",  # non-ASCII digits
    ],
)
def test_parse_errors_name_what_was_expected(text: str) -> None:
    expected = f"expected 'N minutes', 'N hours' or 'N business days', got '{text}'"
    with pytest.raises(ValueError) as err:
        parse_duration(text)
    assert str(err.value) == expected


def test_parse_error_exact_message() -> None:
    # The message of the brief, shown verbatim by the validator.
    with pytest.raises(ValueError) as err:
        parse_duration("2 hrs")
    assert str(err.value) == "expected 'N minutes', 'N hours' or 'N business days', got '2 hrs'"


@pytest.mark.parametrize("value", [30, None, 1.5, ["2 hours"]])
def test_parse_non_strings(value: object) -> None:
    # YAML may hand us a bare number (`due: 30`): say what it was.
    with pytest.raises(ValueError, match=r"expected 'N minutes', 'N hours' or 'N business days', got "):
        parse_duration(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((-1, "minutes"), "must be >= 0"),
        ((1.5, "minutes"), "whole number"),
        ((True, "minutes"), "whole number"),
        ((1, "hours"), "unit must be 'minutes' or 'business_days'"),
    ],
)
def test_invalid_durations(args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Duration(*args)


def test_in_hours_needs_whole_hours() -> None:
    with pytest.raises(ValueError, match="whole number of hours"):
        Duration(90, "minutes", in_hours=True)
    with pytest.raises(ValueError, match="whole number of hours"):
        Duration(1, "business_days", in_hours=True)


def test_frozen() -> None:
    d = parse_duration("30 minutes")
    with pytest.raises(AttributeError):
        d.amount = 5  # type: ignore[misc]


# --- the one-year bound ------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "amount", "unit"), [
    ("527040 minutes", 527_040, "minutes"),
    ("8784 hours", 8_784 * 60, "minutes"),
    ("366 business days", 366, "business_days"),
    ("0000366 business days", 366, "business_days"),
])
def test_durations_up_to_one_year_parse(text: str, amount: int, unit: str) -> None:
    assert parse_duration(text) == Duration(amount, unit)


@pytest.mark.parametrize(("text", "limit"), [
    ("527041 minutes", "527040 minutes"),
    ("8785 hours", "8784 hours"),
    ("999999999 hours", "8784 hours"),
    ("367 business days", "366 business days"),
    ("999999999 business days", "366 business days"),
])
def test_durations_over_one_year_are_too_long(text: str, limit: str) -> None:
    with pytest.raises(DurationTooLong) as info:
        parse_duration(text)
    assert str(info.value) == (f"'{text}' is longer than {limit}; an SLA duration is at most 527040 minutes, "
                               "8784 hours or 366 business days (one year)")
    assert isinstance(info.value, ValueError)  # callers catching ValueError keep working


def test_a_duration_of_thousands_of_digits_is_too_long_not_a_crash() -> None:
    with pytest.raises(DurationTooLong) as info:
        parse_duration("9" * 5000 + " hours")
    assert str(info.value).startswith("'999999999999... (5000 digits) hours' is longer than 8784 hours")


def test_the_limits_are_one_year() -> None:
    assert (MAX_MINUTES, MAX_HOURS, MAX_BUSINESS_DAYS) == (366 * 24 * 60, 366 * 24, 366)
