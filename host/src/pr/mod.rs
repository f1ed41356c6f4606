//! Pull requests: the audit header in an agent-authored PR body (`header`)
//! and the authorship gate that checks it (`gate`). Pure: no I/O.

pub mod gate;
pub mod header;
