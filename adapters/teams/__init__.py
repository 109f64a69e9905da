"""Microsoft Teams: the only place that imports botbuilder."""
