"""Writes: the ledger's and the register's changes, each authorised and logged as an event in
its own transaction, and the planning preview that runs them in a transaction it rolls back."""
