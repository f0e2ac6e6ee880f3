"""The contract language front end: load YAML with positions, check it against the JSON Schemas,
expand includes and parameters, check meaning (diagnostics, never exceptions), compile conditions
(durable_rules syntax) and the whole contract to a typed, immutable model the runtime evaluates."""
