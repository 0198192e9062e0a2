pub mod form;
pub mod layout;
pub mod pipeline;
pub mod status;

pub use form::{FieldError, FormAlert, FormErrors, TextField};
pub use pipeline::{Pipeline, TierSelect};
pub use status::{ErrorPanel, Loading, NotFound};
