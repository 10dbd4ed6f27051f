"""Anti-pattern detection: an IsolationForest over function features, named smell rules,
explanations in words, and one ranking that combines them."""
