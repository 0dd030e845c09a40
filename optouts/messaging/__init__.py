"""The SMS channel: send guard, provider backends, inbound and status webhooks."""
