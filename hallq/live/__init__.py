"""The push contract, in one place: which rooms hear each committed event (rooms), what a
client may subscribe to and the state it then gets (subscriptions), the /hall server that holds
every screen's socket (server), and the city dashboard's figures (city).

Data flows one way: request → core → commit → Database's publisher (LiveServer.publish) →
the rooms' sockets."""

from .rooms import CITY_ROOM, NAMESPACE, hall_room, rooms_for
from .server import LiveServer

__all__ = ["CITY_ROOM", "NAMESPACE", "LiveServer", "hall_room", "rooms_for"]
