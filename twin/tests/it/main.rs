//! fuse-twin's integration tests, one binary: the twin against the stepping machine.

mod fuzz;
mod host_calls;
mod spec_suite;
mod twin_fuel;
