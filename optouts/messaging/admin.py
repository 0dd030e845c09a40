"""Admin pages of the SMS channel; imported by optouts.admin."""
