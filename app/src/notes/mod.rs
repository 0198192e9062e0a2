//! Release notes: the editor with live preview, regeneration that keeps
//! human edits, revisions (diff, restore) and publishing.

pub mod api;
pub mod editor;
