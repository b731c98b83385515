"""Domain operations the API dialects share: one implementation of every
campaign, lead, template, carrier and report action. Dialects translate
their request shapes into these calls and these errors into their shapes."""
