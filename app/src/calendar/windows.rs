//! Freeze windows and release trains below the calendar: one panel each,
//! with the list and the form to add one. Both are "windows" of the same
//! shape, so one component ([`WindowsPanel`]) serves both, parameterised
//! by [`Windows`]; what differs (words, the kind's own form fields, the
//! server functions) is gathered in `Windows` and [`Kind`].

use super::api::{CreateFreeze, CreateTrain, RemoveFreeze, RemoveTrain};
use crate::components::{FieldError, FormAlert, FormErrors, TextField};
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use slipway_domain::calendar::weekday;
use slipway_domain::read::{CalendarProject, FreezeView, TrainView};

/// Offered in the time-zone fields; any other IANA name may be typed.
pub(super) const ZONES: [&str; 33] = [
    "UTC",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Amsterdam",
    "Europe/Brussels",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Zurich",
    "Europe/Vienna",
    "Europe/Stockholm",
    "Europe/Warsaw",
    "Europe/Helsinki",
    "Europe/Athens",
    "Europe/Kyiv",
    "Europe/Istanbul",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "America/Sao_Paulo",
    "America/New_York",
    "America/Toronto",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "Pacific/Honolulu",
];

/// What the page says about one kind of window, and the names its markup
/// uses (`data-test`, ids, classes).
struct Kind {
    /// `data-test` of the panel (`freezes`).
    section: &'static str,
    /// `data-test` of each listed window (`freeze`).
    item: &'static str,
    heading: &'static str,
    hint: &'static str,
    empty: &'static str,
    /// The add form's summary.
    add: &'static str,
    /// The add form's class and `data-test` (`freeze-form`).
    form: &'static str,
    /// Ids of the fields both kinds have.
    project_id: &'static str,
    name_id: &'static str,
    zone_id: &'static str,
    submit: &'static str,
}

const FREEZES: Kind = Kind {
    section: "freezes",
    item: "freeze",
    heading: "Freeze windows",
    hint: "Production promotions are blocked during a freeze, and people who are blocked read its reason.",
    empty: "No freeze windows.",
    add: "Add a freeze window",
    form: "freeze-form",
    project_id: "freeze-project",
    name_id: "freeze-name",
    zone_id: "freeze-zone",
    submit: "Add the freeze",
};

const TRAINS: Kind = Kind {
    section: "trains",
    item: "train",
    heading: "Release trains",
    hint: "A train releases on a fixed cadence; changes must be in by its code-freeze cutoff.",
    empty: "No release trains.",
    add: "Add a release train",
    form: "train-form",
    project_id: "train-project",
    name_id: "train-name",
    zone_id: "train-zone",
    submit: "Add the train",
};

/// Freeze windows or release trains, with the page's actions that add and
/// remove them (created once, so their results outlive re-renders).
#[derive(Clone, Copy)]
pub(super) enum Windows {
    Freezes {
        add: ServerAction<CreateFreeze>,
        remove: ServerAction<RemoveFreeze>,
    },
    Trains {
        add: ServerAction<CreateTrain>,
        remove: ServerAction<RemoveTrain>,
    },
}

impl Windows {
    pub(super) fn freezes() -> Self {
        Self::Freezes {
            add: ServerAction::new(),
            remove: ServerAction::new(),
        }
    }

    pub(super) fn trains() -> Self {
        Self::Trains {
            add: ServerAction::new(),
            remove: ServerAction::new(),
        }
    }

    fn kind(self) -> &'static Kind {
        match self {
            Self::Freezes { .. } => &FREEZES,
            Self::Trains { .. } => &TRAINS,
        }
    }

    /// The outcome of the last addition (tracked).
    fn last_added(self) -> Option<Result<i64, AppError>> {
        match self {
            Self::Freezes { add, .. } => add.value().get(),
            Self::Trains { add, .. } => add.value().get(),
        }
    }

    /// The id of the window last added, changing only when an addition
    /// succeeds: the calendar reloads then, and a refused form keeps what
    /// was typed.
    pub(super) fn added(self) -> Memo<i64> {
        Memo::new(move |prev: Option<&i64>| match self.last_added() {
            Some(Ok(id)) => id,
            _ => prev.copied().unwrap_or_default(),
        })
    }

    /// How many removals were made (tracked).
    pub(super) fn removals(self) -> usize {
        match self {
            Self::Freezes { remove, .. } => remove.version().get(),
            Self::Trains { remove, .. } => remove.version().get(),
        }
    }

    fn add_form(self, children: Children) -> AnyView {
        let form = self.kind().form;
        let class = format!("form {form}");
        match self {
            Self::Freezes { add, .. } => view! {
                <ActionForm action=add attr:class=class attr:data-test=form>{children()}</ActionForm>
            }
            .into_any(),
            Self::Trains { add, .. } => view! {
                <ActionForm action=add attr:class=class attr:data-test=form>{children()}</ActionForm>
            }
            .into_any(),
        }
    }

    fn remove_form(self, children: Children) -> AnyView {
        match self {
            Self::Freezes { remove, .. } => view! {
                <ActionForm action=remove attr:class="inline">{children()}</ActionForm>
            }
            .into_any(),
            Self::Trains { remove, .. } => view! {
                <ActionForm action=remove attr:class="inline">{children()}</ActionForm>
            }
            .into_any(),
        }
    }

    /// The fields of this kind, between the name and the time zone.
    fn own_fields(self, errors: FormErrors) -> AnyView {
        match self {
            Self::Freezes { .. } => view! { <FreezeFields errors/> }.into_any(),
            Self::Trains { .. } => view! { <TrainFields errors/> }.into_any(),
        }
    }
}

/// One listed window.
pub(super) struct WindowItem {
    id: i64,
    name: String,
    /// The project's name, or `All projects`.
    scope: String,
    /// When it applies, with its zone.
    when: String,
    /// A freeze's reason, or a train's next departure.
    note: Option<String>,
    can_remove: bool,
}

fn scope(project_name: Option<String>) -> String {
    project_name.unwrap_or_else(|| "All projects".into())
}

impl From<FreezeView> for WindowItem {
    fn from(f: FreezeView) -> Self {
        Self {
            id: f.id,
            scope: scope(f.project_name),
            when: format!("{} ({})", f.when, f.time_zone),
            note: Some(f.reason),
            name: f.name,
            can_remove: f.can_remove,
        }
    }
}

impl From<TrainView> for WindowItem {
    fn from(t: TrainView) -> Self {
        Self {
            id: t.id,
            scope: scope(t.project_name),
            when: format!("{} ({})", t.cadence, t.time_zone),
            note: t.next,
            name: t.name,
            can_remove: t.can_remove,
        }
    }
}

/// Where the person may add windows, and what the add form starts with.
#[derive(Clone)]
pub(super) struct AddTo {
    /// Projects they manage release policies for.
    pub(super) projects: Vec<CalendarProject>,
    /// Admins add windows for every project.
    pub(super) global: bool,
    /// The project the calendar shows, chosen first.
    pub(super) selected: String,
    pub(super) zone: String,
}

/// A panel of windows of one kind: the list, and the add form when the
/// person may add (`add`).
#[component]
pub(super) fn WindowsPanel(
    windows: Windows,
    items: Vec<WindowItem>,
    add: Option<AddTo>,
) -> impl IntoView {
    let kind = windows.kind();
    let list = if items.is_empty() {
        view! { <p class="empty">{kind.empty}</p> }.into_any()
    } else {
        view! {
            <ul class="cal-policies">
                {items.into_iter().map(|w| view! { <WindowEntry windows w/> }).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <section class="panel" data-test={kind.section}>
            <h2>{kind.heading}</h2>
            <p class="hint">{kind.hint}</p>
            {list}
            {add.map(|add| view! { <AddWindowForm windows add/> })}
        </section>
    }
}

#[component]
fn WindowEntry(windows: Windows, w: WindowItem) -> impl IntoView {
    let remove = w.can_remove.then(|| {
        let label = format!("Remove {}", w.name);
        let id = w.id.to_string();
        windows.remove_form(Box::new(move || {
            view! {
                <input type="hidden" name="id" value=id/>
                <button type="submit" class="button small danger">{label}</button>
            }
            .into_any()
        }))
    });
    view! {
        <li data-test={windows.kind().item}>
            <div>
                <strong>{w.name}</strong>
                " · " {w.scope}
                <br/><span>{w.when}</span>
                {w.note.map(|n| view! { <br/><span class="muted">{n}</span> })}
            </div>
            {remove}
        </li>
    }
}

#[component]
fn AddWindowForm(windows: Windows, add: AddTo) -> impl IntoView {
    let kind = windows.kind();
    let errors = FormErrors::from_action(Signal::derive(move || windows.last_added()));
    let AddTo {
        projects,
        global,
        selected,
        zone,
    } = add;
    let fields = Box::new(move || {
        view! {
            <FormAlert errors/>
            <ProjectSelect id={kind.project_id} projects global selected errors/>
            <TextField label="Name" name="name" error_key="name" errors required=true maxlength=80 id={kind.name_id}/>
            {windows.own_fields(errors)}
            <ZoneField id={kind.zone_id} zone errors/>
            <p class="actions"><button type="submit" class="button primary">{kind.submit}</button></p>
        }
        .into_any()
    });
    view! {
        <details class="help cal-add" open=move || errors.general().is_some()>
            <summary>{kind.add}</summary>
            {windows.add_form(fields)}
        </details>
    }
}

/// A freeze's own fields: its reason, and when it applies (one-off or
/// every week).
#[component]
fn FreezeFields(errors: FormErrors) -> impl IntoView {
    view! {
        <TextField label="Reason" name="reason" error_key="reason" errors required=true maxlength=500 id="freeze-reason"
            hint="Shown to people whose promotion is blocked."/>
        <fieldset class="cal-kind-choice">
            <legend>"When"</legend>
            <label><input type="radio" name="kind" value="once" checked=true/> " One-off"</label>
            <label><input type="radio" name="kind" value="weekly"/> " Every week"</label>
            <FieldError errors error_key="kind" id="freeze-kind-error"/>
        </fieldset>
        <div class="inline-form once-only">
            <div class="field">
                <label for="freeze-start">"Starts"</label>
                <input id="freeze-start" name="start" type="datetime-local"
                    aria-invalid=move || errors.field("start").is_some().then_some("true")/>
                <FieldError errors error_key="start" id="freeze-start-error"/>
            </div>
            <div class="field">
                <label for="freeze-end">"Ends"</label>
                <input id="freeze-end" name="end" type="datetime-local"
                    aria-invalid=move || errors.field("end").is_some().then_some("true")/>
                <FieldError errors error_key="end" id="freeze-end-error"/>
            </div>
        </div>
        <div class="inline-form weekly-only">
            <DaySelect id="freeze-start-day" name="start_day" label="From" selected="friday" errors/>
            <TimeField id="freeze-start-time" name="start_time" label="at" value="15:00" errors/>
            <DaySelect id="freeze-end-day" name="end_day" label="Until" selected="monday" errors/>
            <TimeField id="freeze-end-time" name="end_time" label="at" value="08:00" errors/>
        </div>
    }
}

/// A train's own fields: its first release, cadence, release time and
/// cutoff.
#[component]
fn TrainFields(errors: FormErrors) -> impl IntoView {
    let number = move |id: &'static str,
                       name: &'static str,
                       label: &'static str,
                       value: &'static str,
                       min: &'static str,
                       max: &'static str,
                       hint: &'static str| {
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input id=id name=name type="number" min=min max=max value=value required=true
                    aria-invalid=move || errors.field(name).is_some().then_some("true")
                    aria-describedby=format!("{id}-hint {id}-error")/>
                <p class="hint" id=format!("{id}-hint")>{hint}</p>
                <FieldError errors error_key=name id=format!("{id}-error")/>
            </div>
        }
    };
    view! {
        <div class="inline-form">
            <TextField label="First release" name="first_release" error_key="first_release" errors required=true
                input_type="date" id="train-first" hint="The train runs on this weekday."/>
            {number("train-every", "every_weeks", "Every … weeks", "2", "1", "12", "1 to 12.")}
            <TimeField id="train-release-time" name="release_time" label="Release at" value="10:00" errors/>
        </div>
        <div class="inline-form">
            {number("train-cutoff-days", "cutoff_days_before", "Cutoff days before", "4", "0", "83", "4 = the Friday before a Tuesday; 0 = release day.")}
            <TimeField id="train-cutoff-time" name="cutoff_time" label="Cutoff at" value="17:00" errors/>
        </div>
    }
}

/// The project select of the add forms: projects the person manages, and
/// "Every project" for admins.
#[component]
fn ProjectSelect(
    id: &'static str,
    projects: Vec<CalendarProject>,
    global: bool,
    selected: String,
    errors: FormErrors,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>"Applies to"</label>
            <select id=id name="project">
                {global.then(|| view! { <option value="" selected=selected.is_empty()>"Every project"</option> })}
                {projects.into_iter().map(|p| view! {
                    <option value=p.slug.clone() selected=p.slug == selected>{p.name}</option>
                }).collect_view()}
            </select>
            <FieldError errors error_key="project" id=format!("{id}-error")/>
        </div>
    }
}

#[component]
fn ZoneField(id: &'static str, zone: String, errors: FormErrors) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>"Time zone"</label>
            <input id=id name="time_zone" list="cal-zones" value=zone required autocomplete="off"
                aria-invalid=move || errors.field("time_zone").is_some().then_some("true")
                aria-describedby=format!("{id}-hint {id}-error")/>
            <p class="hint" id=format!("{id}-hint")>"The team's zone, by IANA name (Europe/Berlin): daylight saving time is followed."</p>
            <FieldError errors error_key="time_zone" id=format!("{id}-error")/>
        </div>
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[component]
fn DaySelect(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    selected: &'static str,
    errors: FormErrors,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select id=id name=name>
                {weekday::NAMES.iter().map(|d| view! {
                    <option value=*d selected=*d == selected>{capitalized(d)}</option>
                }).collect_view()}
            </select>
            <FieldError errors error_key=name id=format!("{id}-error")/>
        </div>
    }
}

#[component]
fn TimeField(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    value: &'static str,
    errors: FormErrors,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id name=name type="time" value=value
                aria-invalid=move || errors.field(name).is_some().then_some("true")/>
            <FieldError errors error_key=name id=format!("{id}-error")/>
        </div>
    }
}
