//! Configuration drift in the browser: a project's environments compared
//! side by side (keys set in one environment but not the next, and
//! must-match keys whose values differ), each environment's configuration
//! form, and the rules (which keys must match, which environments wait for
//! matching configuration before a promotion).

pub mod api;
pub mod page;
