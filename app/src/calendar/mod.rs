//! The release calendar: month and week views of planned releases, trains
//! and freezes across projects with their conflicts, the forms to add
//! freeze windows and trains, and private iCalendar feed links.

pub mod api;
pub mod page;
