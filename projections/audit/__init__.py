"""The audit side of the read models: the Merkle tree over the event log (a view kept
like the read models), its signed checkpoints, and the verification of the log against
them (docs/explanation/audit.md)."""
