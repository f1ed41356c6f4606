//! Child processes: starting the wrapped command or agent (`child`), its
//! environment (`child_env`), the bubblewrap sandbox (`isolate`) with its own
//! clone of the project (`agent_clone`), the guard over the operator's git
//! configuration (`git_guard`), and this process's own hardening (`harden`).

pub mod agent_clone;
mod child;
pub mod child_env;
pub mod git_guard;
pub mod harden;
pub mod isolate;

pub use child::*;
