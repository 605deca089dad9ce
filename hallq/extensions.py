"""Flask extensions, created unbound and wired in create_app (the Flask app-factory way)."""

from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf import CSRFProtect

login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
