"""Evaluation: the forward-chaining, event-time engine over compiled contracts, its clocks and the
opt-in tracer. Takes compiled contracts; never imports the YAML front end, scenarios or the CLI."""
