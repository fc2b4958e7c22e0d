//! Booking accelerator time: a week of one device model (a table of hours and days, each free
//! hour a link to book it), the booking form, and one booking with what can be done to it.
//! Everything is links and plain forms, so it works the same without JavaScript.

use crate::api::{get_booking, get_booking_choices, get_booking_week, take_form, BookingRow};
use crate::components::layout::{or_error_page, Notice};
use crate::components::ons::{
    Button, DescriptionList, DescriptionRow, ErrorSummary, Input, Select,
};
use crate::forms::{url_encode, FormState};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

pub(crate) fn bookings_table(caption: String, rows: Vec<BookingRow>) -> impl IntoView {
    view! {
        <table class="ons-table">
            <caption class="ons-table__caption">{caption}</caption>
            <thead class="ons-table__head">
                <tr class="ons-table__row">
                    <th scope="col" class="ons-table__header">"Booking"</th>
                    <th scope="col" class="ons-table__header">"Project"</th>
                    <th scope="col" class="ons-table__header">"Devices"</th>
                    <th scope="col" class="ons-table__header">"When"</th>
                    <th scope="col" class="ons-table__header">"State"</th>
                </tr>
            </thead>
            <tbody class="ons-table__body">
                {rows.into_iter().map(|b| view! {
                    <tr class="ons-table__row">
                        <td class="ons-table__cell"><a href=format!("/bookings/{}", b.id)>{format!("Booking {}", b.id)}</a></td>
                        <td class="ons-table__cell">{b.project}</td>
                        <td class="ons-table__cell">{format!("{} × {}", b.count, b.model)}</td>
                        <td class="ons-table__cell">{b.when}</td>
                        <td class="ons-table__cell">{b.state}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// A week of one model: per hour and day, the devices free and the projects holding the rest.
#[component]
pub fn BookingsPage() -> impl IntoView {
    let query = use_query_map();
    let asked = move || {
        let q = query.read();
        (
            q.get("model").unwrap_or_default(),
            q.get("week").unwrap_or_default(),
        )
    };
    let data = Resource::new(asked, |(model, week)| get_booking_week(model, week));
    view! {
        <Title text="Accelerator bookings"/>
        <Notice/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                or_error_page(data.await, |w| {
                    let chooser = FormState {
                        values: [("model".to_owned(), w.model.clone())].into(),
                        errors: Vec::new(),
                    };
                    let link = |week: &str| format!("/bookings?model={}&week={week}", url_encode(&w.model));
                    view! {
                        <h1 class="ons-u-fs-2xl">"Accelerator bookings"</h1>
                        <p>"Book GPU and TPU time for a project ahead, in whole hours (times are UTC). A booking's devices are kept for the project: on the cluster, a reservation holds them, and a workspace the project starts in the booking runs in it."</p>
                        {w.can_book.then(|| view! {
                            <p><a href=format!("/bookings/new?model={}", url_encode(&w.model))>"Book accelerator time"</a></p>
                        })}
                        <form method="get" action="/bookings" class="app-filter">
                            <Select id="model" label="Device type" form=chooser options=w.models.clone() prompt="Choose a device type"/>
                            <input type="hidden" name="week" value=w.week.clone()/>
                            <div class="ons-u-mt-s"><Button text="Show this type" secondary=true small=true/></div>
                        </form>
                        <h2 class="ons-u-mt-l">{w.heading.clone()}</h2>
                        <nav aria-label="Weeks" class="ons-u-mb-s">
                            <a href=link(&w.previous_week)>"Previous week"</a>" · "
                            <a href=link(&w.next_week)>"Next week"</a>
                        </nav>
                        <div class="app-week">
                            <table class="ons-table ons-table--compact">
                                <caption class="ons-table__caption">{format!("{}: devices free each hour of the {} in service, and who holds the rest", w.model, w.devices)}</caption>
                                <thead class="ons-table__head">
                                    <tr class="ons-table__row">
                                        <th scope="col" class="ons-table__header">"Hour (UTC)"</th>
                                        {w.days.iter().map(|d| view! { <th scope="col" class="ons-table__header">{d.clone()}</th> }).collect_view()}
                                    </tr>
                                </thead>
                                <tbody class="ons-table__body">
                                    {w.rows.iter().map(|r| view! {
                                        <tr class="ons-table__row">
                                            <th scope="row" class="ons-table__header">{r.hour.clone()}</th>
                                            {r.cells.iter().map(|c| {
                                                let free = if c.free == 0 { "Full".to_owned() } else { format!("{} free", c.free) };
                                                view! {
                                                    <td class="ons-table__cell">
                                                        {match c.book_href.clone() {
                                                            Some(href) => view! { <a href=href aria-label=format!("Book {}: {free}", c.when)>{free.clone()}</a> }.into_any(),
                                                            None => view! { <span>{free.clone()}</span> }.into_any(),
                                                        }}
                                                        {(!c.holders.is_empty()).then(|| view! { <br/><span class="ons-u-fs-s">{c.holders.clone()}</span> })}
                                                    </td>
                                                }
                                            }).collect_view()}
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        {(!w.bookings.is_empty()).then(|| bookings_table(format!("Bookings of {} this week", w.model), w.bookings.clone()))}
                    }
                })
            })}
        </Suspense>
    }
}

/// The booking form, started from the hour chosen in the week view.
#[component]
pub fn NewBookingPage() -> impl IntoView {
    let query = use_query_map();
    let choices = Resource::new(|| (), |_| get_booking_choices());
    let posted = Resource::new(|| (), |_| take_form("booking".into()));
    view! {
        <Title text="Book accelerator time"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let posted = posted.await.unwrap_or_default();
                or_error_page(choices.await, move |c| {
                    let form = if posted.values.is_empty() {
                        let q = query.read_untracked();
                        let pick = |k: &str, default: &str| (k.to_owned(), q.get(k).unwrap_or_else(|| default.to_owned()));
                        let only_project = if c.projects.len() == 1 { c.projects[0].0.clone() } else { String::new() };
                        FormState {
                            values: [
                                pick("project", &only_project),
                                pick("model", ""),
                                pick("count", "1"),
                                pick("date", ""),
                                pick("start_hour", ""),
                                pick("hours", "2"),
                            ]
                            .into(),
                            errors: Vec::new(),
                        }
                    } else {
                        posted
                    };
                    view! {
                        <ErrorSummary errors=form.errors.clone()/>
                        <h1 class="ons-u-fs-2xl">"Book accelerator time"</h1>
                        {if c.projects.is_empty() {
                            view! { <p>"You are not a staff member of any project, so you cannot book for one. A project lead can add you."</p> }.into_any()
                        } else {
                            view! {
                                <p>"Within your project's limits a booking is confirmed at once; beyond them an operator decides, and you are told why. Times are UTC."</p>
                                <form method="post" action="/bookings" novalidate>
                                    <div class="ons-u-mb-m"><Select id="project" label="Project" form=form.clone() options=c.projects.clone() prompt="Choose a project"/></div>
                                    <div class="ons-u-mb-m"><Select id="model" label="Device type" form=form.clone() options=c.models.clone() prompt="Choose a device type"/></div>
                                    <div class="ons-u-mb-m"><Input id="count" label="How many devices" hint="All on one host, so one workspace can use them all" form=form.clone() width=4/></div>
                                    <div class="ons-u-mb-m"><Input id="date" label="Day it starts" hint="For example, 2027-01-18" form=form.clone() width=10/></div>
                                    <div class="ons-u-mb-m"><Input id="start_hour" label="Hour it starts (0 to 23, UTC)" form=form.clone() width=4/></div>
                                    <div class="ons-u-mb-m"><Input id="hours" label="How many hours" form=form.clone() width=4/></div>
                                    <div class="ons-u-mb-m"><Input id="purpose" label="What the devices are for" form=form.clone() textarea=true/></div>
                                    <Button text="Book"/>
                                </form>
                            }.into_any()
                        }}
                    }
                })
            })}
        </Suspense>
    }
}

/// One booking: when, which devices, whether the cluster holds them; moving, cancelling, and an
/// operator's decision.
#[component]
pub fn BookingPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok());
    let data = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_booking(id).await,
            None => Err(crate::error::AppError::NotFound("booking".into())),
        }
    });
    let posted = Resource::new(|| (), |_| take_form("booking-change".into()));
    view! {
        <Notice/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let posted = posted.await.unwrap_or_default();
                or_error_page(data.await, move |b| {
                    let form = if posted.values.is_empty() {
                        FormState {
                            values: [
                                ("count".to_owned(), b.count.to_string()),
                                ("date".to_owned(), b.date.clone()),
                                ("start_hour".to_owned(), b.start_hour.clone()),
                                ("hours".to_owned(), b.hours.clone()),
                            ]
                            .into(),
                            errors: Vec::new(),
                        }
                    } else {
                        posted
                    };
                    let id = b.id;
                    view! {
                        <Title text=format!("Booking {id}")/>
                        <ErrorSummary errors=form.errors.clone()/>
                        <nav class="ons-breadcrumbs" aria-label="Breadcrumbs">
                            <ol class="ons-breadcrumbs__items ons-u-fs-s">
                                <li class="ons-breadcrumbs__item"><a class="ons-breadcrumbs__link" href=format!("/bookings?model={}", url_encode(&b.model))>"Accelerator bookings"</a></li>
                                <li class="ons-breadcrumbs__item"><a class="ons-breadcrumbs__link" href=format!("/projects/{}", b.project_id)>{b.project.clone()}</a></li>
                            </ol>
                        </nav>
                        <h1 class="ons-u-fs-2xl">{format!("Booking {id}: {} × {}", b.count, b.model)}</h1>
                        <DescriptionList>
                            <DescriptionRow term="State">{b.state.clone()}</DescriptionRow>
                            {(!b.reason.is_empty()).then(|| view! { <DescriptionRow term="Why">{b.reason.clone()}</DescriptionRow> })}
                            <DescriptionRow term="When">{b.when.clone()}</DescriptionRow>
                            <DescriptionRow term="Project">{b.project.clone()}</DescriptionRow>
                            <DescriptionRow term="Booked by">{b.booked_by.clone()}</DescriptionRow>
                            <DescriptionRow term="Purpose">{b.purpose.clone()}</DescriptionRow>
                            <DescriptionRow term="Devices">{b.devices.join(", ")}</DescriptionRow>
                            <DescriptionRow term="On the cluster">{if b.reserved { "Reserved for the project's accounts" } else { "Not reserved (on this portal's own machines, the portal keeps the devices for the project)" }}</DescriptionRow>
                        </DescriptionList>
                        {b.can_decide.then(|| view! {
                            <h2 class="ons-u-mt-l">"Decide"</h2>
                            <form method="post" action=format!("/bookings/{id}/approve") novalidate>
                                <Button text="Confirm the booking"/>
                            </form>
                            <form method="post" action=format!("/bookings/{id}/refuse") class="ons-u-mt-m" novalidate>
                                <Input id="reason" label="Why it is refused (the person who booked is told)" form=form.clone() textarea=true/>
                                <div class="ons-u-mt-s"><Button text="Refuse the booking" secondary=true/></div>
                            </form>
                        })}
                        {b.can_change.then(|| view! {
                            <h2 class="ons-u-mt-l">"Move the booking"</h2>
                            <form method="post" action=format!("/bookings/{id}/change") novalidate>
                                <div class="ons-u-mb-m"><Input id="count" label="How many devices" form=form.clone() width=4/></div>
                                <div class="ons-u-mb-m"><Input id="date" label="Day it starts" hint="For example, 2027-01-18" form=form.clone() width=10/></div>
                                <div class="ons-u-mb-m"><Input id="start_hour" label="Hour it starts (0 to 23, UTC)" form=form.clone() width=4/></div>
                                <div class="ons-u-mb-m"><Input id="hours" label="How many hours" form=form.clone() width=4/></div>
                                <Button text="Move the booking"/>
                            </form>
                            <h2 class="ons-u-mt-l">"Cancel the booking"</h2>
                            <p>"Its devices are free for others at once."</p>
                            <form method="post" action=format!("/bookings/{id}/cancel") novalidate>
                                <Button text="Cancel the booking" secondary=true/>
                            </form>
                        })}
                    }
                })
            })}
        </Suspense>
    }
}
