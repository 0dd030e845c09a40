"""The SMS channel (issue 7): send guard, provider backends, inbound and status webhooks."""
