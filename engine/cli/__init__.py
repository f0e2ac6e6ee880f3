"""The `obligo` command line: parsing arguments, rendering diagnostics, exit codes. The only place
that prints."""
