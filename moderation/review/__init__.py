"""Review: the desk's claims and decisions, readers' reports, author bans, and decisions exported as labels."""
