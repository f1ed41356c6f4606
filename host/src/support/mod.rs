//! Small helpers every layer uses: text made safe to show (`display`), files
//! read and rewritten safely (`files`), time (`time`).

pub mod display;
pub mod files;
// http_date is for the fakes, which include time.rs by path.
#[allow(dead_code)]
pub mod time;
