//! Notifications: the person's inbox on the dashboard (sign-off requests,
//! decisions that no longer count, reviews they are named for), and the
//! e-mail address they are also sent to.

pub mod api;
pub mod email;
pub mod inbox;
