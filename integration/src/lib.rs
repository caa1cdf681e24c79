//! End-to-end tests and benchmarks; the client-driven suites live in `python/`.
