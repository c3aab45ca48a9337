"""RQ jobs, the queue helper and the worker entry point."""
