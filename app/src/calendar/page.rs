//! `/calendar`: the release calendar. `?month=YYYY-MM` (default: this month)
//! shows a grid of weeks, `?week=YYYY-MM-DD` seven days from that date;
//! `&project=slug` narrows it to one project. Below: freeze windows and
//! release trains with their forms, and private feed links to subscribe.

use super::api::{get_calendar, CreateFeed, RevokeFeed};
use super::subscribe::Subscribe;
use super::windows::{AddTo, WindowItem, Windows, WindowsPanel, ZONES};
use crate::components::{ErrorPanel, Loading};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use slipway_domain::read::{CalendarDay, CalendarEntry, CalendarProject, CalendarView};

/// The page's actions, created once so their results outlive re-renders.
#[derive(Clone, Copy)]
struct Actions {
    freezes: Windows,
    trains: Windows,
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
        freezes: Windows::freezes(),
        trains: Windows::trains(),
        create_feed: ServerAction::new(),
        revoke_feed: ServerAction::new(),
    };
    // Reload after a successful addition only, so a refused form keeps what
    // was typed.
    let freeze_added = actions.freezes.added();
    let train_added = actions.trains.added();
    let calendar = Resource::new(
        move || {
            (
                params(),
                freeze_added.get(),
                train_added.get(),
                actions.freezes.removals(),
                actions.trains.removals(),
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
    let freezes: Vec<WindowItem> = v.freezes.into_iter().map(Into::into).collect();
    let trains: Vec<WindowItem> = v.trains.into_iter().map(Into::into).collect();
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
    let add = may_manage.then(|| AddTo {
        projects: manageable,
        global: v.can_manage_global,
        selected: project.clone(),
        zone: default_zone,
    });
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

        <WindowsPanel windows=actions.freezes items=freezes add=add.clone()/>
        <WindowsPanel windows=actions.trains items=trains add/>
        {(!may_manage).then(|| view! {
            <p class="hint">"Release managers add freeze windows and trains for their projects; admins add them for every project."</p>
        })}

        <Subscribe projects=all_projects create=actions.create_feed revoke=actions.revoke_feed/>
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
