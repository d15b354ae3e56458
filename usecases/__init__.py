"""What the product does, as functions the CLI, the service and the tests call alike: build an index
version, calibrate it, roll back, open an answerer. Typed results, progress callbacks, no printing."""
