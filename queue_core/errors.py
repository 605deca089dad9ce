"""Domain errors. Each names what is wrong in words a clerk or an integrator can act on;
the API maps them to HTTP statuses by class."""


class DomainError(Exception):
    """Base class: a request the hall's rules refuse."""

    code = "domain_error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        # Machine-readable facts a client can word for its reader (e.g. when a queue reopens).
        self.details = details


class NotFound(DomainError):
    code = "not_found"


class InvalidState(DomainError):
    """The thing exists but is not in a state that allows the action (HTTP 409)."""

    code = "invalid_state"


class QueueClosed(InvalidState):
    code = "queue_closed"


class QuotaReached(InvalidState):
    code = "quota_reached"


class NotPermitted(DomainError):
    code = "forbidden"


class TooEarly(InvalidState):
    code = "too_early"


class TooLate(InvalidState):
    code = "too_late"


class LimitReached(InvalidState):
    code = "limit_reached"


class Invalid(DomainError):
    """What was sent breaks a rule of the hall (HTTP 422), e.g. a reason not on its list."""

    code = "invalid_payload"
