"""Import job models; re-exported by leads.models so Django finds them."""
