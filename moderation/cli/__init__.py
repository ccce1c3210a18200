"""The `moderation` command and `make run`'s local process supervision; apart from the domain, which it drives."""
