"""RQ jobs and the screening pipeline; imports no Flask."""
