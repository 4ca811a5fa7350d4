"""Your answers to the backpropagation exercises: fill in every stub."""
