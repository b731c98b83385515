"""Redis is autocall's only state: key layout, atomic scripts, the store (one object per concern)."""

from dialer.store.errors import InUse, MissingReference, NameTaken, Taken
from dialer.store.keys import Keys
from dialer.store.records import Claim, Finish
from dialer.store.store import Store

__all__ = ["Claim", "Finish", "InUse", "Keys", "MissingReference", "NameTaken", "Store", "Taken"]
