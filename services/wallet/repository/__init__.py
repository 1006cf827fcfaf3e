"""Every query of the wallet service, one repository per part of the schema (accounts, ledger,
payments, bills); each returns aggregates and named rows, never tuples."""
