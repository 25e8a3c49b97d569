"""What every task kind shares below the kinds: features, training, sampling,
predictions, the confident-learning core, the pre-labeling runner, agreement statistics
and shape matching. Imports only the core (schema, items, store) and errors."""
