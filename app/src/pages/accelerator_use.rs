//! Booked against used accelerator time: a project's record week by week with its bookings, and
//! operators' utilisation per device model as a chart with its table beside it. The number of
//! weeks is a plain GET form, so both work the same without JavaScript.

use crate::api::{get_project_accelerator_use, get_utilisation, UtilModel, WEEK_CHOICES};
use crate::components::charts::{BarGroup, PercentBars};
use crate::components::layout::{or_error_page, Notice};
use crate::components::ons::{Button, Select};
use crate::forms::FormState;
use crate::pages::bookings::bookings_table;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The form that chooses how many weeks to show, posting back to `action` by GET.
fn weeks_form(action: String, weeks: u32) -> impl IntoView {
    let chosen = FormState {
        values: [("weeks".to_owned(), weeks.to_string())].into(),
        errors: Vec::new(),
    };
    let options = WEEK_CHOICES
        .iter()
        .map(|n| (n.to_string(), format!("{n} weeks")))
        .collect::<Vec<_>>();
    view! {
        <form method="get" action=action class="app-filter ons-u-mb-l">
            <Select id="weeks" label="Weeks to show" form=chosen options=options prompt="Choose how many weeks"/>
            <div class="ons-u-mt-s"><Button text="Show" secondary=true small=true/></div>
        </form>
    }
}

fn weeks_asked() -> impl Fn() -> String + Copy + Send + Sync + 'static {
    let query = use_query_map();
    move || query.read().get("weeks").unwrap_or_default()
}

/// A project's accelerator time: its bookings, and week by week what it booked, used and gave
/// back.
#[component]
pub fn ProjectAcceleratorsPage() -> impl IntoView {
    let params = use_params_map();
    let weeks = weeks_asked();
    let asked = move || {
        (
            params.read().get("id").and_then(|s| s.parse::<i64>().ok()),
            weeks(),
        )
    };
    let data = Resource::new(asked, |(id, weeks)| async move {
        match id {
            Some(id) => get_project_accelerator_use(id, weeks).await,
            None => Err(crate::error::AppError::NotFound("project".into())),
        }
    });
    view! {
        <Notice/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                or_error_page(data.await, |u| {
                    let pid = u.project_id;
                    view! {
                        <Title text=format!("Accelerator time of {}", u.project_name)/>
                        <nav class="ons-breadcrumbs" aria-label="Breadcrumbs">
                            <ol class="ons-breadcrumbs__items ons-u-fs-s">
                                <li class="ons-breadcrumbs__item"><a class="ons-breadcrumbs__link" href="/projects">"Projects"</a></li>
                                <li class="ons-breadcrumbs__item"><a class="ons-breadcrumbs__link" href=format!("/projects/{pid}")>{u.project_name.clone()}</a></li>
                            </ol>
                        </nav>
                        <h1 class="ons-u-fs-2xl">"Accelerator time of "{u.project_name.clone()}</h1>
                        <p>"A booking keeps GPU or TPU devices for the project; a booking nothing uses in its first 30 minutes is released, so others can have the time. Hours are device-hours: two devices for an hour are two."</p>
                        {u.can_book.then(|| view! { <p><a href="/bookings/new">"Book accelerator time"</a></p> })}
                        <h2>"Bookings"</h2>
                        {if u.bookings.is_empty() {
                            view! { <p>"The project has no bookings that ended in the last week or are still to come."</p> }.into_any()
                        } else {
                            bookings_table("The project's bookings from the last week on".into(), u.bookings.clone()).into_any()
                        }}
                        <h2 class="ons-u-mt-xl">"Booked and used, week by week"</h2>
                        {weeks_form(format!("/projects/{pid}/accelerators"), u.weeks)}
                        {if u.rows.is_empty() {
                            view! { <p>{format!("The project neither booked nor used accelerators in the last {} weeks.", u.weeks)}</p> }.into_any()
                        } else {
                            view! {
                                <table class="ons-table">
                                    <caption class="ons-table__caption">{format!("Device-hours booked, used and released in the last {} weeks, newest first (weeks start on Monday, UTC)", u.weeks)}</caption>
                                    <thead class="ons-table__head"><tr class="ons-table__row">
                                        <th scope="col" class="ons-table__header">"Week of"</th>
                                        <th scope="col" class="ons-table__header">"Device type"</th>
                                        <th scope="col" class="ons-table__header ons-table__header--numeric">"Booked"</th>
                                        <th scope="col" class="ons-table__header ons-table__header--numeric">"Used"</th>
                                        <th scope="col" class="ons-table__header ons-table__header--numeric">"Released unused"</th>
                                    </tr></thead>
                                    <tbody class="ons-table__body">
                                        {u.rows.clone().into_iter().map(|r| view! {
                                            <tr class="ons-table__row">
                                                <td class="ons-table__cell">{r.week}</td>
                                                <td class="ons-table__cell">{r.model}</td>
                                                <td class="ons-table__cell ons-table__cell--numeric">{r.booked}</td>
                                                <td class="ons-table__cell ons-table__cell--numeric">{r.used}</td>
                                                <td class="ons-table__cell ons-table__cell--numeric">{r.released}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any()
                        }}
                    }
                })
            })}
        </Suspense>
    }
}

/// Type-erased: the section's full view type is deep enough that a release build of the server,
/// which renders it inside the whole app's type, ran past the compiler's query depth limit.
fn model_section(index: usize, m: UtilModel) -> AnyView {
    let groups = m
        .weeks
        .iter()
        .map(|w| BarGroup {
            label: w.label.clone(),
            percents: vec![w.booked_percent, w.used_percent],
        })
        .collect::<Vec<_>>();
    let heading_id = format!("model-{index}");
    let labelled_by = heading_id.clone();
    let name = format!(
        "{}: booked and used as a percentage of the {} device-hours a week, per week; the table beside has the figures",
        m.model, m.capacity
    );
    view! {
        <section aria-labelledby=labelled_by>
            <h2 id=heading_id class="ons-u-mt-xl">{m.model.clone()}</h2>
            <p>{if m.devices == 0 {
                "No device of this type is in service now; its time below was booked or used earlier.".to_owned()
            } else {
                format!("{} {} in service: {} device-hours a week.", m.devices, if m.kind.is_empty() { "devices".to_owned() } else { format!("{}s", m.kind) }, m.capacity)
            }}</p>
            <div class="app-chart-pair">
                <PercentBars name=name series=vec!["Booked", "Used"] groups=groups id=format!("util-{index}")/>
                <table class="ons-table ons-table--compact">
                    <caption class="ons-table__caption">{format!("{}: device-hours per week", m.model)}</caption>
                    <thead class="ons-table__head"><tr class="ons-table__row">
                        <th scope="col" class="ons-table__header">"Week of"</th>
                        <th scope="col" class="ons-table__header ons-table__header--numeric">"Booked"</th>
                        <th scope="col" class="ons-table__header ons-table__header--numeric">"Used"</th>
                        <th scope="col" class="ons-table__header ons-table__header--numeric">"Released unused"</th>
                        <th scope="col" class="ons-table__header ons-table__header--numeric">"Used of capacity"</th>
                    </tr></thead>
                    <tbody class="ons-table__body">
                        {m.weeks.into_iter().rev().map(|w| view! {
                            <tr class="ons-table__row">
                                <td class="ons-table__cell">{w.week}</td>
                                <td class="ons-table__cell ons-table__cell--numeric">{format!("{} ({}%)", w.booked, w.booked_percent)}</td>
                                <td class="ons-table__cell ons-table__cell--numeric">{w.used}</td>
                                <td class="ons-table__cell ons-table__cell--numeric">{w.released}</td>
                                <td class="ons-table__cell ons-table__cell--numeric">{format!("{}%", w.used_percent)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}

/// Operators' view of accelerator utilisation: per device type, each week's booked and used
/// device-hours against what the devices in service could give.
#[component]
pub fn UtilisationPage() -> impl IntoView {
    let weeks = weeks_asked();
    let data = Resource::new(weeks, get_utilisation);
    view! {
        <Title text="Accelerator utilisation"/>
        <Notice/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                or_error_page(data.await, |u| view! {
                    <nav class="ons-breadcrumbs" aria-label="Breadcrumbs">
                        <ol class="ons-breadcrumbs__items ons-u-fs-s">
                            <li class="ons-breadcrumbs__item"><a class="ons-breadcrumbs__link" href="/operations">"Operations"</a></li>
                        </ol>
                    </nav>
                    <h1 class="ons-u-fs-2xl">"Accelerator utilisation"</h1>
                    <p>"Per device type and week (Monday to Sunday, UTC): device-hours bookings held, device-hours workspaces and services ran, and booked time released because nothing used it. Capacity counts the devices in service now."</p>
                    {weeks_form("/operations/utilisation".into(), u.weeks)}
                    {if u.models.is_empty() {
                        view! { <p>"There are no GPUs or TPUs in the inventory yet."</p> }.into_any()
                    } else {
                        u.models.into_iter().enumerate().map(|(i, m)| model_section(i, m)).collect_view().into_any()
                    }}
                })
            })}
        </Suspense>
    }
}
