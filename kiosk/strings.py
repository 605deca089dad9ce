"""Every text the kiosk's script shows, from the Babel catalogue, for both languages at once:
the citizen switches language with one tap and no page load."""

from __future__ import annotations

from hallq.i18n import Plural, _n, _np, translated
from hallq.wait_strings import WAIT_STRINGS

STRINGS: dict[str, str | Plural] = {
    "search": _n("Search for a service"),
    "search_hint": _n("Type pinyin initials, e.g. hydj (婚姻登记), or the name"),
    "by_department": _n("By department"),
    "by_topic": _n("By life event"),
    "items": _np("%(n)d service", "%(n)d services"),
    "no_results": _n("No service matches. Try fewer letters, or ask a guide."),
    "search_placeholder": _n("Pinyin or Chinese"),
    "candidates_hint": _n("Type pinyin, then choose the Chinese word here"),
    "key_delete": _n("Delete"),
    "key_clear": _n("Clear"),
    "key_space": _n("Space"),
    "back": _n("Back"),
    "home": _n("Home"),
    "take_ticket": _n("Take a ticket"),
    "taking": _n("Taking your ticket…"),
    "instant": _n("Done on the spot"),
    "commitment": _np("Done within %(n)d working day", "Done within %(n)d working days"),
    "basis": _n("Legal basis"),
    "materials": _n("Materials to bring"),
    "conditions": _n("Conditions"),
    "procedure": _n("Procedure"),
    "time_limit": _n("Time limit"),
    "legal_limit": _np("legal limit %(n)d day", "legal limit %(n)d days"),
    # Punctuation: full-width in Chinese, ASCII with its spaces in English.
    "bracketed": _n(" (%(text)s)"),
    "colon": _n(": "),
    "list_separator": _n(", "),
    "window_named": _n("Window %(n)s (%(name)s)"),
    "window_number": _n("Window %(n)s"),
    "fees": _n("Fees"),
    "fee_basis": _n("Basis of the fees"),
    "authority": _n("Window's authority"),
    "windows": _n("Windows that handle it"),
    "floor_plan": _n("Floor plan with these windows lit"),
    "applicant": _n("For"),
    "your_number": _n("Your number"),
    "queue": _n("Service"),
    "ahead": _n("People ahead of you"),
    "wait": _n("Estimated wait"),
    **WAIT_STRINGS,
    "queue_waiting": _n("%(n)s waiting now"),
    "no_wait": _n("no wait"),
    "go_to": _n("Please wait to be called to"),
    "scan": _n("Scan to follow your ticket on your phone"),
    "done": _n("Done"),
    "alerts_on": _n("Remind me when it is nearly my turn"),
    "postpone": _n("I need a little more time"),
    "postpone_explain": _np(
        "Your ticket moves back %(n)s place in the line, once only. Move it back?",
        "Your ticket moves back %(n)s places in the line, once only. Move it back?",
    ),
    "postpone_yes": _n("Yes, move it back"),
    "postponed": _np(
        "Moved back: %(n)s person is ahead of you now.", "Moved back: %(n)s people are ahead of you now."
    ),
    "alerts_enabled": _n("Reminders are on: keep this page open, with the sound on."),
    "alert_ahead": _np(
        "%(n)s person ahead of you: please come back and wait near the windows.",
        "%(n)s people ahead of you: please come back and wait near the windows.",
    ),
    "alert_called": _n("It is your turn: please go to %(window)s."),
    "title_ahead": _n("[%(n)s ahead] %(number)s"),
    "title_called": _n("[Your turn] %(number)s"),
    "home_in": _n("Back to the start in %(n)s s"),
    "again_title": _n("You have just taken a ticket for this service. Take another one?"),
    "again_yes": _n("Take another ticket"),
    "again_no": _n("No, back to the start"),
    "printing": _n("Printing your ticket…"),
    "printed": _n("Please take your ticket from the slot below."),
    "print_failed": _n(
        "The printer could not print your ticket. Your number is valid: please take a photo of this screen or remember your number."
    ),
    "print_notice": _n("Print this checklist"),
    "notice_printing": _n("Printing the checklist: please take it from the slot below."),
    "notice_failed": _n(
        "The printer is out of order. Please take a photo of the materials list, or ask a guide."
    ),
    "printer_out": _n(
        "The ticket printer needs attention: tickets are shown on screen. Staff have been told."
    ),
    "bring": _n("While you wait, check that you have brought"),
    "written_notices": _n("Written notices from the window"),
    "notice_missing": _n("Materials to supplement"),
    "notice_reason": _n("Reason"),
    "notice_completion": _n("Promised completion date"),
    "notice_from": _n("Given by"),
    "closed": _n("This service is not taking tickets now."),
    "lunch_break": _n("Lunch break: tickets again from %(time)s."),
    "day_off": _n("The hall is closed today (%(reason)s): no tickets."),
    "quota": _n("This service has given all its tickets for today."),
    "session_quota": _n("This service has given all its tickets for this session."),
    "come_back": _n("Please come back %(when)s."),
    "today_at": _n("today from %(time)s"),
    "on_day_at": _n("on %(day)s from %(time)s"),
    "offline": _n("The connection to the server is lost. Trying again…"),
    "not_set_up": _n("This kiosk is not set up yet: a technician opens it once with its device token."),
    "failed": _n("Sorry, the ticket could not be taken: %(reason)s"),
    "elderly": _n("Large text"),
    "help": _n("Help"),
    "help_called": _n("A guide has been called and is on the way. Please wait here."),
    "green_channel": _n("Priority: seniors, people with disabilities, servicemen"),
    "who_priority": _n("Who is the priority ticket for?"),
    "priority_senior": _n("Senior citizen"),
    "priority_disabled": _n("Person with a disability"),
    "priority_military": _n("Serviceman or veteran"),
    "priority_green_channel": _n("Urgent case (green channel)"),
    "guide_pin": _n("A guide confirms with their PIN"),
    "confirm": _n("Confirm"),
    "wrong_pin": _n("Wrong PIN. Please try again."),
    "pin_locked": _n("Too many wrong PINs. Please ask a guide to help."),
    "priority_ticket": _n("Priority"),
    "touch_to_start": _n("Touch the screen to start"),
    "id_title": _n("Your resident ID number"),
    "id_hint": _n(
        "This service gives each person a limited number of tickets a day. Type the number or put your ID card on the reader. It is not stored."
    ),
    "id_wrong": _n("This is not a valid ID number. Please check it."),
    "limit": _n("This ID number has already taken the tickets allowed for this service today."),
    "checkin": _n("Check in for an appointment"),
    "checkin_hint": _n("Enter the code of your appointment, or put your ID card on the reader"),
    "checkin_early": _n("Check-in opens at %(time)s. Please wait a little."),
    "checkin_late": _n("Your slot ended at %(time)s. Please take a ticket as usual."),
    "checkin_unknown": _n("No appointment has this code. Please check it and try again."),
    "checkin_no_booking": _n(
        "No appointment today for this ID card. Please enter the code, or take a ticket."
    ),
    "language": _n("English"),
    "called": _n("Called: please go to window %(window)s"),
    "status_waiting": _n("Waiting"),
    "status_called": _n("Called"),
    "status_serving": _n("Being served"),
    "status_finished": _n("Finished"),
    "status_no_show": _n("Missed (not present when called)"),
    "status_cancelled": _n("Cancelled"),
    "status_remote": _n(
        "Taken before arriving: at the hall, scan the QR code at the door or put your ID card on a kiosk's reader, and you join the line in your place."
    ),
}


def strings_for(locale: str) -> dict[str, str | dict[str, str]]:
    return translated(STRINGS, locale)


# The citizen's booking pages (/book, /book/<code>).
BOOKING_STRINGS = {
    "book_title": _n("Book an appointment"),
    "book_hint": _n("Choose a service, a day and a time. Bring your ID card and the materials listed."),
    "choose_item": _n("1. Service"),
    "choose_day": _n("2. Day"),
    "choose_slot": _n("3. Time"),
    "your_details": _n("4. Your name and ID number"),
    "no_items": _n("No service can be booked online at the moment."),
    "no_days": _n("This service has no day open for booking in the coming days."),
    "left": _n("%(n)s left"),
    "full": _n("Full"),
    "name": _n("Your name"),
    "id_number": _n("Resident ID number"),
    "id_kept": _n("Only a keyed fingerprint of the number is kept, to allow one booking per person."),
    "book": _n("Book"),
    "booked": _n("Booked"),
    "code": _n("Booking code"),
    "show_code": _n("Enter this code at a kiosk in the hall up to 15 minutes before your time."),
    "when": _n("Time"),
    "service": _n("Service"),
    "bring": _n("Please bring"),
    "cancel": _n("Cancel the booking"),
    "cancel_confirm": _n("Cancel this booking?"),
    "cancelled": _n("This booking is cancelled."),
    "checked_in": _n("Checked in: your ticket has been taken."),
    "bookmark": _n("Keep this page: it shows your booking and cancels it."),
    "day_closed": _n(
        "The hall is closed that day (%(reason)s). Please cancel this booking and book another day."
    ),
    "hours_changed": _n(
        "The hall's hours that day have changed and no longer include this time. Please cancel "
        "this booking and book another time."
    ),
    "slot_full": _n("This time has just been fully booked. Please choose another."),
    "no_slot": _n("This time cannot be booked. Please choose another."),
    "already_booked": _n("This ID number already has a booking for this service on that day."),
    "no_show_block": _n("Bookings were not kept several times: booking is possible again from %(day)s."),
    "id_wrong": _n("This is not a valid ID number. Please check it."),
    "failed": _n("Sorry, the booking failed: %(reason)s"),
    "offline": _n("The connection to the server is lost. Please try again."),
    "arrive_title": _n("I have arrived"),
    "arrive_hint": _n(
        "Check in for your booking here, from 15 minutes before its time: your number comes at once."
    ),
    "arrive_with": _n("I have arrived: booking %(code)s"),
    "arrived": _n("Check in"),
    "arrive_early": _n("Check-in opens at %(time)s. Please come back then."),
    "arrive_late": _n("Your slot ended at %(time)s. Please take a ticket at a kiosk."),
    "arrive_unknown": _n("No booking has this code. Please check it."),
    "arrive_ticket": _n("I have arrived: ticket %(number)s"),
    "remote_title": _n("Or take a ticket now, and join the line when you arrive"),
    "remote_hint": _n(
        "For today only. Your number is kept: when you arrive, scan the QR code at the hall's door and you join the line in your place. If you are not there when your turn comes, it is kept %(n)s minutes."
    ),
    "remote_take": _n("Take a ticket"),
    "remote_limit": _n("This ID number has already taken a ticket this way for this service today."),
    "remote_closed": _n("This service is not taking tickets now."),
}


def booking_strings_for(locale: str) -> dict[str, str]:
    return translated(BOOKING_STRINGS, locale)
