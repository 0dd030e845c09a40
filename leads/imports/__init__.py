"""Lead import from CSV and XLSX: readers, mapping, preview, background jobs."""
