"""The one exception type for bad data input, so scripts can turn it into a clear message and exit 2."""


class DataError(ValueError):
    """Bad dataset input: the message says what was wrong and what to do about it."""
