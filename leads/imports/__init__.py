"""Lead import from CSV and XLSX (issue 6): readers, mapping, preview, background jobs."""
