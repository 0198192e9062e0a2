//! Releases and sign-off: the release list and create form, the sign-off
//! page product owners use, approval policies per environment, and the
//! home page's "waiting for my sign-off" queue.

pub mod api;
pub mod changes;
pub mod list;
pub mod policies;
pub mod reviews;
pub mod signoff;
