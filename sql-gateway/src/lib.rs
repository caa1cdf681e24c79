//! SQL gateway: pgwire front end on DataFusion (not yet implemented; see issue 3).
