//! `/calendar`: the release calendar. `?month=YYYY-MM` (default: this month)
//! shows a grid of weeks, `?week=YYYY-MM-DD` seven days from that date;
//! `&project=slug` narrows it to one project. Below: freeze windows and
//! release trains with their forms, and private feed links to subscribe.

use super::api::{
    get_calendar, list_feeds, CreateFeed, CreateFreeze, CreateTrain, RemoveFreeze, RemoveTrain,
    RevokeFeed,
};
use crate::components::{ErrorPanel, FieldError, FormAlert, FormErrors, Loading, TextField};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use slipway_domain::calendar::weekday;
use slipway_domain::read::{CalendarDay, CalendarEntry, CalendarProject, CalendarView};

/// Offered in the time-zone fields; any other IANA name may be typed.
const ZONES: [&str; 33] = [
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

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The page's actions, created once so their results outlive re-renders.
#[derive(Clone, Copy)]
struct Actions {
    add_freeze: ServerAction<CreateFreeze>,
    remove_freeze: ServerAction<RemoveFreeze>,
    add_train: ServerAction<CreateTrain>,
    remove_train: ServerAction<RemoveTrain>,
    create_feed: ServerAction<CreateFeed>,
    revoke_feed: ServerAction<RevokeFeed>,
}

#[component]
pub fn CalendarPage() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        query.with(|q| {
            (
                q.get("month").unwrap_or_default(),
                q.get("week").unwrap_or_default(),
                q.get("project").unwrap_or_default(),
            )
        })
    };
    let actions = Actions {
        add_freeze: ServerAction::new(),
        remove_freeze: ServerAction::new(),
        add_train: ServerAction::new(),
        remove_train: ServerAction::new(),
        create_feed: ServerAction::new(),
        revoke_feed: ServerAction::new(),
    };
    // Reload after a successful addition only, so a refused form keeps what
    // was typed.
    let freeze_added =
        Memo::new(
            move |prev: Option<&i64>| match actions.add_freeze.value().get() {
                Some(Ok(id)) => id,
                _ => prev.copied().unwrap_or_default(),
            },
        );
    let train_added = Memo::new(
        move |prev: Option<&i64>| match actions.add_train.value().get() {
            Some(Ok(id)) => id,
            _ => prev.copied().unwrap_or_default(),
        },
    );
    let calendar = Resource::new(
        move || {
            (
                params(),
                freeze_added.get(),
                train_added.get(),
                actions.remove_freeze.version().get(),
                actions.remove_train.version().get(),
            )
        },
        |((month, week, project), ..)| get_calendar(month, week, project),
    );
    view! {
        <Title text="Release calendar"/>
        <section class="page-head">
            <h1>"Release calendar"</h1>
            <p class="lead">"Planned releases, release trains and freeze windows across your projects. Conflicts are flagged: a release inside a freeze, and releases on the same day of projects where one depends on the other (set on each project's edit page)."</p>
        </section>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match calendar.await {
                    Ok(v) => view! { <CalendarBody v actions/> }.into_any(),
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CalendarBody(v: CalendarView, actions: Actions) -> impl IntoView {
    let project = v.project.clone().unwrap_or_default();
    let link = |q: &str| format!("/calendar{q}");
    // The other view of the same time: the week holding today (or the
    // month's first day), or the month the week starts in.
    let switch = if v.is_week {
        let month = v.from.get(..7).unwrap_or_default().to_owned();
        let mut q = format!("/calendar?month={month}");
        if !project.is_empty() {
            q.push_str(&format!("&project={project}"));
        }
        (q, "Month view")
    } else {
        let week = v
            .weeks
            .iter()
            .find(|w| w.iter().any(|d| d.today))
            .or_else(|| v.weeks.iter().find(|w| w.iter().any(|d| d.in_range)))
            .and_then(|w| w.first())
            .map(|d| d.date.clone())
            .unwrap_or_else(|| v.from.clone());
        let mut q = format!("/calendar?week={week}");
        if !project.is_empty() {
            q.push_str(&format!("&project={project}"));
        }
        (q, "Week view")
    };
    let period_key = if v.is_week { "week" } else { "month" };
    let period_value = if v.is_week {
        v.from.clone()
    } else {
        v.weeks
            .iter()
            .flatten()
            .find(|d| d.in_range)
            .and_then(|d| d.date.get(..7))
            .unwrap_or_default()
            .to_owned()
    };
    let headers: Vec<String> = v
        .weeks
        .first()
        .map(|w| w.iter().map(|d| d.weekday.clone()).collect())
        .unwrap_or_default();
    let default_zone = v
        .freezes
        .first()
        .map(|f| f.time_zone.clone())
        .or_else(|| v.trains.first().map(|t| t.time_zone.clone()))
        .unwrap_or_else(|| "UTC".into());
    let manageable: Vec<CalendarProject> = v
        .projects
        .iter()
        .filter(|p| p.can_manage)
        .cloned()
        .collect();
    let may_manage = v.can_manage_global || !manageable.is_empty();
    let conflicts = v.conflict_count;
    let remove_freeze = actions.remove_freeze;
    let freeze_list = if v.freezes.is_empty() {
        view! { <p class="empty">"No freeze windows."</p> }.into_any()
    } else {
        view! {
            <ul class="cal-policies">
                {v.freezes.into_iter().map(|f| {
                    let scope = f.project_name.clone().unwrap_or_else(|| "All projects".into());
                    let when = format!("{} ({})", f.when, f.time_zone);
                    let remove = f.can_remove.then(|| {
                        let label = format!("Remove {}", f.name);
                        let id = f.id.to_string();
                        view! {
                            <ActionForm action=remove_freeze attr:class="inline">
                                <input type="hidden" name="id" value=id/>
                                <button type="submit" class="button small danger">{label}</button>
                            </ActionForm>
                        }
                    });
                    view! {
                        <li data-test="freeze">
                            <div>
                                <strong>{f.name}</strong>
                                " · " {scope}
                                <br/><span>{when}</span>
                                <br/><span class="muted">{f.reason}</span>
                            </div>
                            {remove}
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    let remove_train = actions.remove_train;
    let train_list = if v.trains.is_empty() {
        view! { <p class="empty">"No release trains."</p> }.into_any()
    } else {
        view! {
            <ul class="cal-policies">
                {v.trains.into_iter().map(|t| {
                    let scope = t.project_name.clone().unwrap_or_else(|| "All projects".into());
                    let cadence = format!("{} ({})", t.cadence, t.time_zone);
                    let remove = t.can_remove.then(|| {
                        let label = format!("Remove {}", t.name);
                        let id = t.id.to_string();
                        view! {
                            <ActionForm action=remove_train attr:class="inline">
                                <input type="hidden" name="id" value=id/>
                                <button type="submit" class="button small danger">{label}</button>
                            </ActionForm>
                        }
                    });
                    view! {
                        <li data-test="train">
                            <div>
                                <strong>{t.name}</strong>
                                " · " {scope}
                                <br/><span>{cadence}</span>
                                {t.next.map(|n| view! { <br/><span class="muted">{n}</span> })}
                            </div>
                            {remove}
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    let filter_options = v
        .projects
        .iter()
        .map(|p| {
            let selected = p.slug == project;
            view! { <option value=p.slug.clone() selected=selected>{p.name.clone()}</option> }
        })
        .collect_view();
    let all_projects = v.projects.clone();
    let weeks = v
        .weeks
        .into_iter()
        .map(|w| view! { <tr>{w.into_iter().map(|d| view! { <DayCell d/> }).collect_view()}</tr> })
        .collect_view();
    let (freeze_project, train_project) = (project.clone(), project.clone());
    let (freeze_zone, train_zone) = (default_zone.clone(), default_zone);
    let (freeze_projects, train_projects) = (manageable.clone(), manageable);
    let global = v.can_manage_global;
    view! {
        <nav class="cal-nav" aria-label="Calendar navigation">
            <a class="button" href=link(&v.prev) rel="prev" data-test="cal-prev">"← Previous"</a>
            <h2 class="cal-title" data-test="cal-title">{v.title.clone()}</h2>
            <a class="button" href=link(&v.next) rel="next" data-test="cal-next">"Next →"</a>
            <a class="button" href=link(&v.today)>"Today"</a>
            <a class="button" href=switch.0 data-test="cal-switch">{switch.1}</a>
        </nav>
        <Form method="GET" action="/calendar" attr:class="filters" attr:data-test="cal-filter">
            <input type="hidden" name=period_key value=period_value/>
            <div class="field">
                <label for="cal-project">"Project"</label>
                <select id="cal-project" name="project">
                    <option value="">"All my projects"</option>
                    {filter_options}
                </select>
            </div>
            <button type="submit" class="button">"Show"</button>
        </Form>
        {(conflicts > 0).then(|| view! {
            <p class="alert alert-warn" role="status" data-test="cal-conflicts">
                {match conflicts { 1 => "1 conflict in this view: see the flagged entries.".to_owned(), n => format!("{n} conflicts in this view: see the flagged entries.") }}
            </p>
        })}
        <div class="cal-wrap">
            <table class=if v.is_week { "cal cal-week" } else { "cal cal-month" } data-test="calendar">
                <caption class="visually-hidden">{format!("{}: releases, trains and freezes per day", v.title)}</caption>
                <thead><tr>{headers.into_iter().map(|h| view! { <th scope="col">{h}</th> }).collect_view()}</tr></thead>
                <tbody>
                    {weeks}
                </tbody>
            </table>
        </div>
        <p class="hint">"Each entry sits on its date in its own team's time zone; releases are planned for a date."</p>

        <section class="panel" data-test="freezes">
            <h2>"Freeze windows"</h2>
            <p class="hint">"Production promotions are blocked during a freeze, and people who are blocked read its reason."</p>
            {freeze_list}
            {may_manage.then(|| view! {
                <FreezeForm action=actions.add_freeze projects=freeze_projects global selected=freeze_project zone=freeze_zone/>
            })}
        </section>

        <section class="panel" data-test="trains">
            <h2>"Release trains"</h2>
            <p class="hint">"A train releases on a fixed cadence; changes must be in by its code-freeze cutoff."</p>
            {train_list}
            {may_manage.then(|| view! {
                <TrainForm action=actions.add_train projects=train_projects global selected=train_project zone=train_zone/>
            })}
        </section>
        {(!may_manage).then(|| view! {
            <p class="hint">"Release managers add freeze windows and trains for their projects; admins add them for every project."</p>
        })}

        <Subscribe projects=all_projects actions/>
        <datalist id="cal-zones">
            {ZONES.iter().map(|z| view! { <option value=*z></option> }).collect_view()}
        </datalist>
    }
}

#[component]
fn DayCell(d: CalendarDay) -> impl IntoView {
    let mut class = String::from("cal-day");
    if !d.in_range {
        class.push_str(" outside");
    }
    if d.today {
        class.push_str(" today");
    }
    if d.entries.iter().any(|e| !e.conflicts.is_empty()) {
        class.push_str(" has-conflict");
    }
    let empty = d.entries.is_empty();
    view! {
        <td class=class data-test="cal-day" data-date=d.date.clone()>
            <div class="cal-date">
                <span class="cal-weekday">{d.weekday.clone()} " "</span>
                <time datetime=d.date.clone()>{d.day}</time>
                {d.today.then(|| view! { <span class="visually-hidden">" (today)"</span> })}
            </div>
            {(!empty).then(|| view! {
                <ul class="cal-entries">
                    {d.entries.into_iter().map(|e| view! { <Entry e/> }).collect_view()}
                </ul>
            })}
        </td>
    }
}

#[component]
fn Entry(e: CalendarEntry) -> impl IntoView {
    use slipway_domain::read::CalendarEntryKind as K;
    let kind = match e.kind {
        K::Release => "Release",
        K::TrainRelease => "Train",
        K::TrainCutoff => "Cutoff",
        K::Freeze => "Freeze",
    };
    let flagged = !e.conflicts.is_empty();
    let class = format!(
        "cal-entry cal-{}{}",
        e.kind.as_str(),
        if flagged { " has-conflict" } else { "" }
    );
    let scope = match (e.kind, &e.project_slug) {
        (K::Release, _) => None,
        (_, Some(s)) => Some(format!(" · {s}")),
        (_, None) => Some(" · all projects".to_owned()),
    };
    view! {
        <li class=class data-test="cal-entry" data-kind=e.kind.as_str()>
            <span class="cal-kind">{kind}</span>
            {match e.href {
                Some(h) => view! { <a class="cal-label" href=h>{e.label.clone()}</a> }.into_any(),
                None => view! { <span class="cal-label">{e.label.clone()}</span> }.into_any(),
            }}
            <span class="cal-detail">{e.detail.clone()} {scope}</span>
            {e.conflicts.into_iter().map(|c| view! {
                <span class="cal-conflict" data-test="conflict">"⚠ " {c}</span>
            }).collect_view()}
        </li>
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

#[component]
fn FreezeForm(
    action: ServerAction<CreateFreeze>,
    projects: Vec<CalendarProject>,
    global: bool,
    selected: String,
    zone: String,
) -> impl IntoView {
    let errors = FormErrors::from_action(action.value());
    view! {
        <details class="help cal-add" open=move || errors.general().is_some()>
            <summary>"Add a freeze window"</summary>
            <ActionForm action attr:class="form freeze-form" attr:data-test="freeze-form">
                <FormAlert errors/>
                <ProjectSelect id="freeze-project" projects global selected errors/>
                <TextField label="Name" name="name" error_key="name" errors required=true maxlength=80 id="freeze-name"/>
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
                <ZoneField id="freeze-zone" zone errors/>
                <p class="actions"><button type="submit" class="button primary">"Add the freeze"</button></p>
            </ActionForm>
        </details>
    }
}

#[component]
fn TrainForm(
    action: ServerAction<CreateTrain>,
    projects: Vec<CalendarProject>,
    global: bool,
    selected: String,
    zone: String,
) -> impl IntoView {
    let errors = FormErrors::from_action(action.value());
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
        <details class="help cal-add" open=move || errors.general().is_some()>
            <summary>"Add a release train"</summary>
            <ActionForm action attr:class="form train-form" attr:data-test="train-form">
                <FormAlert errors/>
                <ProjectSelect id="train-project" projects global selected errors/>
                <TextField label="Name" name="name" error_key="name" errors required=true maxlength=80 id="train-name"/>
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
                <ZoneField id="train-zone" zone errors/>
                <p class="actions"><button type="submit" class="button primary">"Add the train"</button></p>
            </ActionForm>
        </details>
    }
}

#[component]
fn Subscribe(projects: Vec<CalendarProject>, actions: Actions) -> impl IntoView {
    let create = actions.create_feed;
    let revoke = actions.revoke_feed;
    let feeds = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_feeds(),
    );
    let errors = FormErrors::from_action(create.value());
    view! {
        <section class="panel" data-test="subscribe">
            <h2>"Subscribe"</h2>
            <p>"Follow the release calendar in Google Calendar, Outlook or Apple Calendar with a private link. It shows what you can see in Slipway, and updates by itself."</p>
            <ActionForm action=create attr:class="inline-form" attr:data-test="feed-form">
                <div class="field">
                    <label for="feed-project">"Calendar of"</label>
                    <select id="feed-project" name="project">
                        <option value="">"All my projects"</option>
                        {projects.into_iter().map(|p| view! { <option value=p.slug.clone()>{p.name}</option> }).collect_view()}
                    </select>
                </div>
                <p class="actions"><button type="submit" class="button primary">"Create a private link"</button></p>
            </ActionForm>
            <FormAlert errors/>
            {move || create.value().get().and_then(Result::ok).map(|url| view! {
                <div class="alert alert-ok cal-feed" role="status" data-test="feed-link">
                    <p><strong>"Your private calendar link. It is shown only now: copy it."</strong></p>
                    <input class="cal-feed-url" type="text" readonly=true value=url aria-label="Private calendar link"/>
                    <ul>
                        <li><strong>"Google Calendar: "</strong>"Other calendars → + → From URL, paste the link, Add calendar."</li>
                        <li><strong>"Outlook: "</strong>"Add calendar → Subscribe from web, paste the link, Import."</li>
                        <li><strong>"Apple Calendar: "</strong>"File → New Calendar Subscription, paste the link."</li>
                    </ul>
                    <p class="hint">"Anyone with the link can read this calendar. If it leaks, revoke it below and make a new one."</p>
                </div>
            })}
            <h3>"Your links"</h3>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match feeds.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty">"You have no calendar links."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="cal-policies" data-test="feeds">
                                {list.into_iter().map(|f| {
                                    let what = f.project_name.clone().unwrap_or_else(|| "All my projects".into());
                                    view! {
                                        <li data-test="feed">
                                            <div>
                                                <strong>{what}</strong>
                                                <br/><span class="muted">{format!("Created {}", f.created_at)}</span>
                                                {f.revoked_at.clone().map(|r| view! { <br/><span class="muted">{format!("Revoked {r}")}</span> })}
                                            </div>
                                            {f.revoked_at.is_none().then(|| view! {
                                                <ActionForm action=revoke attr:class="inline">
                                                    <input type="hidden" name="id" value=f.id.to_string()/>
                                                    <button type="submit" class="button small danger">"Revoke"</button>
                                                </ActionForm>
                                            })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
