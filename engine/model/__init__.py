"""The data every stage shares: events in, actions out, durations, diagnostics, errors, and the one
vocabulary (event types, clocks, action kinds, channels) the schemas are tested against."""
