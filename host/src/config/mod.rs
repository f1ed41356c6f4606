//! What the host reads before it runs the component: its settings from the
//! environment (`settings`: the host core's reader, crates/core/src/settings/,
//! turned into the component's WIT record) and the policy files (`policy`: the
//! core's discovery rule over the folders next to the binary; the component
//! evaluates what they say). A JWT login's token is read or fetched at each
//! login (`login_source`: a file, or the GitHub Actions runner's ID token).

pub(crate) mod login_source;
pub(crate) mod policy;
pub(crate) mod settings;
