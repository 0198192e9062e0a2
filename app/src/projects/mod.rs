//! Projects and their environments: list, create, view, edit, archive.
pub mod api;
pub mod detail;
pub mod edit;
pub mod list;
pub mod new;
