"""The one domain exception: a business rule refused the action."""


class ApplicationError(Exception):
    """Raised by services when a rule forbids the action; the message is shown to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
