//! Crawler: table, schema and partition discovery and MSCK repair (not yet implemented).
