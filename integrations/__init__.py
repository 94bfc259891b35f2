"""Adapters between outside systems and the ledger: each translates what the outside
system says into the same Ledger calls a person would make."""
