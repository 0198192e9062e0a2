//! The release calendar: month and week views of planned releases, trains
//! and freezes across projects with their conflicts, the forms to add
//! freeze windows and trains, and private iCalendar feed links.
//!
//! `page.rs` is the page and its grid; `windows.rs` the freeze-window and
//! train panels (one component for both); `subscribe.rs` the feed links;
//! `api.rs` the server functions.

pub mod api;
pub mod page;
mod subscribe;
mod windows;
