"""Community Enablement Service: the event-sourced ledger and its HTTP API."""
