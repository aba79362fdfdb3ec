"""RQ jobs. Each receives ids, opens its own app context and calls services."""
