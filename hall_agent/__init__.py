"""`hallq agent`: the process on a hall PC (a kiosk's touch PC, a window's PC, the PC of the
LED line) that drives the devices plugged into it, for a server in the machine room.

It talks to the server only over its JSON API and its /hall Socket.IO namespace, with the
agent's own device token, and imports neither Flask nor the server's code: a hall PC needs
printer_driver, python-socketio's client and pyserial, not a database.

- Printers: the server pushes each print job for this PC's printers (print_job, in the room
  agent:<id>); the agent claims it, fetches its bytes drawn for the printer, prints it on the
  kiosk's printer_driver station (failing over to the kiosk's next printer on this PC) and
  reports how it ended. On every (re)connection the subscription's answer lists the jobs still
  waiting, and those it claimed and never reported; those are printed again marked 重打.
- Keypads and the LED line: the physical keypads and the LED line that hall.toml places on
  this PC, run as hallq keypad-bridge and hallq led-bridge would run them.
"""
