"""Redis is autocall's only state: key layout, atomic scripts, the store."""

from dialer.store.keys import Keys
from dialer.store.store import Claim, Finish, Store

__all__ = ["Claim", "Finish", "Keys", "Store"]
