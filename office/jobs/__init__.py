"""RQ jobs: thin wrappers that call services inside an app context."""
