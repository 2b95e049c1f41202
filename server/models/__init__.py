"""The database tables, one module per aggregate. Importing this registers them all."""

from server.models.apikey import ApiKey
from server.models.call import Call, CallEvent
from server.models.link import BuyerPass, Link
from server.models.user import Role, StaffSession, User

__all__ = ["ApiKey", "BuyerPass", "Call", "CallEvent", "Link", "Role", "StaffSession", "User"]
