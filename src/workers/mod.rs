//! Background jobs driven from the store. Each worker exposes one `step` (claim one unit of
//! work, do it) so tests drive it deterministically, and a `run` loop for the server.

pub mod dispatcher;
pub mod refresh;
