"""The one domain model every API dialect and the engine share."""
