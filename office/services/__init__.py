"""Business operations that are more than a row edit."""
