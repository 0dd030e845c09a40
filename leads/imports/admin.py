"""Admin pages of the lead import; imported by leads.admin."""
