"""Use cases of the wallet service, one module per capability: accounts, charges, payments, bills,
reconciliation (and supply, the arrears and alarm rules they share)."""
