"""Message models; re-exported by optouts.models so Django finds them."""
