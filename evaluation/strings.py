"""Every text the rating pages' scripts show, from the Babel catalogue: the rating widget
(rating.js) that the keypad and the ticket's phone page share, and the keypad's own texts.
The keypad shows one language for its whole life (Chinese, or English with ?lang=en); the
phone page gets both, for its language button."""

from __future__ import annotations

from hallq.i18n import _n, translated

# The national five levels (LEVELS: 5 best .. 1 worst), by score.
RATING = {
    "level_5": _n("Very satisfied"),
    "level_4": _n("Satisfied"),
    "level_3": _n("Fair"),
    "level_2": _n("Dissatisfied"),
    "level_1": _n("Very dissatisfied"),
    "rate_prompt": _n("Please rate this service"),
    "rate_chosen": _n("Your rating: %(level)s"),
    "rate_reasons": _n("What was wrong? Choose one or more"),
    "rate_comment": _n("Your comments (optional)"),
    "rate_submit": _n("Submit"),
    "rate_change": _n("Choose another rating"),
    "rate_need_reason": _n("Please choose a reason or write a comment."),
    "rate_sending": _n("Sending…"),
    "rate_failed": _n("The rating could not be sent. Please try again."),
    "rate_thanks": _n("Thank you for your rating"),
    # The phone page's rating section.
    "rate_title": _n("Rate the service"),
    "rate_until": _n("You may rate it until %(time)s."),
    "rate_over": _n("The time to rate this service is over."),
    "rated": _n("Rated: %(level)s"),
    "rated_default": _n("Rated by default: %(level)s"),
}

KEYPAD = {
    "window": _n("Window %(n)s"),
    "badge": _n("Badge %(badge)s"),
    "serving_you": _n("%(window)s · Serving you: %(name)s (badge %(badge)s)"),
    "serving_you_no_badge": _n("%(window)s · Serving you: %(name)s"),
    "closed": _n("Not in service"),
    "paused": _n("Paused"),
    "ticket": _n("Number %(number)s · %(item)s"),
    "countdown": _n("%(n)s s left"),
    "already": _n("This service was already rated, or the time to rate it is over."),
    "not_set_up": _n("Not set up: open /keypad/%(n)s?token=… once"),
    "refused": _n("This keypad's token is not accepted: %(error)s"),
    "offline": _n("Connection lost: reconnecting…"),
}


def rating_strings_for(locale: str) -> dict[str, str]:
    return translated(RATING, locale)


def keypad_strings_for(locale: str) -> dict[str, str]:
    return translated(RATING | KEYPAD, locale)
