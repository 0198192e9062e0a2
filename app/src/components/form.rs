//! Form building blocks: labelled fields whose errors sit next to them.

use crate::error::AppError;
use leptos::prelude::*;
use slipway_domain::FieldErrors;

/// The last error of a form's action, readable per field.
#[derive(Clone, Copy)]
pub struct FormErrors(Signal<Option<AppError>>);

impl FormErrors {
    pub fn from_action<T, S>(value: S) -> Self
    where
        T: Clone + Send + Sync + 'static,
        S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
    {
        FormErrors(Signal::derive(move || value.get().and_then(|r| r.err())))
    }

    pub fn none() -> Self {
        FormErrors(Signal::derive(|| None))
    }

    /// The message for one field, if it has one.
    pub fn field(&self, name: &str) -> Option<String> {
        self.0.with(|e| {
            e.as_ref()
                .and_then(AppError::fields)
                .and_then(|f: &FieldErrors| f.get(name))
                .map(str::to_owned)
        })
    }

    /// The message that belongs to the whole form (not to one field).
    pub fn general(&self) -> Option<String> {
        self.0.with(|e| e.as_ref().map(ToString::to_string))
    }
}

/// A form-wide message (error summary) announced to screen readers.
#[component]
pub fn FormAlert(errors: FormErrors) -> impl IntoView {
    move || {
        errors.general().map(|msg| {
            view! { <p class="alert alert-error" role="alert" data-test="form-error">{msg}</p> }
        })
    }
}

/// A labelled text input with an optional hint and its error message.
#[component]
pub fn TextField(
    /// Visible label.
    label: &'static str,
    /// Form field name (serde_qs syntax, e.g. `project[name]`).
    #[prop(into)]
    name: String,
    /// Key of this field in validation errors, e.g. `name`.
    #[prop(into)]
    error_key: String,
    errors: FormErrors,
    #[prop(optional, into)] value: String,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(default = 200)] maxlength: usize,
    #[prop(optional, into)] id: Option<String>,
    #[prop(optional)] autofocus: bool,
) -> impl IntoView {
    let id = id.unwrap_or_else(|| field_id(&name));
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let key = error_key.clone();
    let error_key2 = error_key.clone();
    let described = {
        let hint_id = hint_id.clone();
        let error_id = error_id.clone();
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if errors.field(&error_key2).is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field">
            <label for=id.clone()>{label} {(!required).then(|| view! { <span class="optional">" (optional)"</span> })}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <input
                id=id
                name=name
                type=input_type
                value=value
                required=required
                autofocus=autofocus
                maxlength=maxlength.to_string()
                autocomplete=autocomplete
                aria-invalid=move || errors.field(&key).is_some().then_some("true")
                aria-describedby=described
            />
            <FieldError errors error_key id=error_id/>
        </div>
    }
}

/// The error line under a field.
#[component]
pub fn FieldError(
    errors: FormErrors,
    #[prop(into)] error_key: String,
    #[prop(into)] id: String,
) -> impl IntoView {
    move || {
        errors.field(&error_key).map(|msg| {
            view! { <p class="field-error" id=id.clone() data-test="field-error">{msg}</p> }
        })
    }
}

/// A stable element id from a serde_qs field name: `project[name]` -> `project-name`.
pub fn field_id(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::field_id;

    #[test]
    fn field_ids_are_css_safe() {
        assert_eq!(field_id("project[name]"), "project-name");
        assert_eq!(field_id("environments[2][tier]"), "environments-2-tier");
    }
}

/// A labelled checkbox; the form sends `name=on` when it is ticked.
#[component]
pub fn CheckboxField(name: &'static str, checked: bool, label: &'static str) -> impl IntoView {
    view! {
        <div class="field checkbox">
            <label>
                <input type="checkbox" name=name checked=checked/>
                {format!(" {label}")}
            </label>
        </div>
    }
}
