//! Operators' pages: requests awaiting a decision, capacity and what runs where with the
//! queue's dead letters, the audit trail; and everyone's notifications.

use crate::api::{
    get_audit, get_notifications, get_operations, list_awaiting_decision, take_form, AuditQuery,
};
use crate::components::gauges::{state_variant, GaugeTable};
use crate::components::layout::{or_error_page, Notice};
use crate::components::ons::{Button, ErrorSummary, LinkButton, StatusTag};
use crate::components::paging::{use_after, NextPage};
use crate::pages::resources_table;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| list_awaiting_decision());
    view! {
        <Title text="Approvals"/>
        <Notice/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                or_error_page(data.await, |rows| view! {
                    <h1 class="ons-u-fs-2xl">"Requests waiting for a decision"</h1>
                    <p>"Open a request to see why it needs approval, the project's quota and the free capacity, and decide. You cannot decide your own requests."</p>
                    {resources_table(rows, "Requests waiting for a decision", true)}
                })
            })}
        </Suspense>
    }
}

#[component]
pub fn OperationsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| get_operations());
    let form = Resource::new(|| (), |_| take_form("redrive".into()));
    view! {
        <Title text="Operations"/>
        <Notice/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let form = form.await.unwrap_or_default();
                or_error_page(data.await, move |o| view! {
                    <ErrorSummary errors=form.errors.clone()/>
                    <h1 class="ons-u-fs-2xl">"Operations"</h1>
                    <p>{o.summary.clone()}</p>
                    <ul class="ons-list ons-list--bare ons-list--inline">
                        <li class="ons-list__item"><a href="/operations/audit">"Audit trail"</a></li>
                        <li class="ons-list__item"><a href="/operations/catalogue">"Catalogue settings"</a></li>
                        <li class="ons-list__item"><a href="/operations/inventory">"Hardware inventory"</a></li>
                        <li class="ons-list__item"><a href="/operations/utilisation">"Accelerator utilisation"</a></li>
                        <li class="ons-list__item"><a href="/operations/announcements">"Announcements"</a></li>
                    </ul>
                    <GaugeTable caption="Free capacity" gauges=o.capacity.clone() free=true/>
                    <h2 class="ons-u-mt-l">"What runs where"</h2>
                    {if o.running.is_empty() {
                        view! { <p>"Nothing is allocated at the moment."</p> }.into_any()
                    } else {
                        view! {
                            <table class="ons-table">
                                <caption class="ons-table__caption ons-u-vh">"Allocated resources and where they run"</caption>
                                <thead class="ons-table__head"><tr class="ons-table__row">
                                    <th scope="col" class="ons-table__header">"Resource"</th>
                                    <th scope="col" class="ons-table__header">"Project"</th>
                                    <th scope="col" class="ons-table__header">"Status"</th>
                                    <th scope="col" class="ons-table__header">"Runs on"</th>
                                </tr></thead>
                                <tbody class="ons-table__body">
                                    {o.running.iter().map(|r| view! {
                                        <tr class="ons-table__row">
                                            <td class="ons-table__cell"><a href=format!("/requests/{}", r.id)>{format!("{} ({})", r.offering, r.size)}</a>" "<span class="ons-u-fs-s">{r.name.clone()}</span></td>
                                            <td class="ons-table__cell">{r.project.clone()}</td>
                                            <td class="ons-table__cell"><StatusTag text=r.state_label.clone() variant=state_variant(&r.state)/></td>
                                            <td class="ons-table__cell">{r.placement.clone()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }}
                    <h2 class="ons-u-mt-l">"Jobs that gave up"</h2>
                    <p class="ons-u-fs-s">"Queue: "{o.queue.iter().map(|(s, n)| format!("{n} {s}")).collect::<Vec<_>>().join(", ")}</p>
                    {if o.dead.is_empty() {
                        view! { <p>"None: every job finished or is still trying."</p> }.into_any()
                    } else {
                        view! {
                            <table class="ons-table">
                                <caption class="ons-table__caption ons-u-vh">"Dead letters"</caption>
                                <thead class="ons-table__head"><tr class="ons-table__row">
                                    <th scope="col" class="ons-table__header">"Job"</th>
                                    <th scope="col" class="ons-table__header">"Attempts"</th>
                                    <th scope="col" class="ons-table__header">"Last error"</th>
                                    <th scope="col" class="ons-table__header"><span class="ons-u-vh">"Actions"</span></th>
                                </tr></thead>
                                <tbody class="ons-table__body">
                                    {o.dead.iter().map(|j| view! {
                                        <tr class="ons-table__row">
                                            <td class="ons-table__cell">{format!("{} #{} for ", j.kind, j.id)}<a href=format!("/requests/{}", j.resource_id)>{format!("request {}", j.resource_id)}</a></td>
                                            <td class="ons-table__cell">{j.attempts}</td>
                                            <td class="ons-table__cell">{j.error.clone()}</td>
                                            <td class="ons-table__cell">
                                                <form method="post" action=format!("/operations/jobs/{}/redrive", j.id)>
                                                    <Button text="Re-drive" secondary=true small=true aria_label=format!("Re-drive job {}", j.id)/>
                                                </form>
                                            </td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }}
                    <h2 class="ons-u-mt-l">"Hardware"</h2>
                    <table class="ons-table">
                        <caption class="ons-table__caption ons-u-vh">"Hosts"</caption>
                        <thead class="ons-table__head"><tr class="ons-table__row">
                            <th scope="col" class="ons-table__header">"Site"</th>
                            <th scope="col" class="ons-table__header">"Host"</th>
                            <th scope="col" class="ons-table__header ons-table__header--numeric">"Cores"</th>
                            <th scope="col" class="ons-table__header ons-table__header--numeric">"GHz per core"</th>
                            <th scope="col" class="ons-table__header ons-table__header--numeric">"Memory (GB)"</th>
                            <th scope="col" class="ons-table__header ons-table__header--numeric">"Storage (GB)"</th>
                            <th scope="col" class="ons-table__header ons-table__header--numeric">"GPUs"</th>
                        </tr></thead>
                        <tbody class="ons-table__body">
                            {o.hosts.iter().map(|h| view! {
                                <tr class="ons-table__row">
                                    <td class="ons-table__cell">{h.site.clone()}</td>
                                    <td class="ons-table__cell">{h.name.clone()}</td>
                                    <td class="ons-table__cell ons-table__cell--numeric">{h.cores}</td>
                                    <td class="ons-table__cell ons-table__cell--numeric">{h.ghz.clone()}</td>
                                    <td class="ons-table__cell ons-table__cell--numeric">{h.ram_gb}</td>
                                    <td class="ons-table__cell ons-table__cell--numeric">{h.storage_gb}</td>
                                    <td class="ons-table__cell ons-table__cell--numeric">{h.gpus}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                })
            })}
        </Suspense>
    }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let q = move || {
        let m = query.read();
        AuditQuery {
            action: m.get("action").unwrap_or_default(),
            object_type: m.get("object_type").unwrap_or_default(),
            object_id: m.get("object_id").unwrap_or_default(),
            actor: m.get("actor").unwrap_or_default(),
            before: m.get("before").and_then(|s| s.parse().ok()),
        }
    };
    let data = Resource::new(q, get_audit);
    view! {
        <Title text="Audit trail"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let current = q();
                or_error_page(data.await, move |page| {
                    let csv = format!(
                        "/operations/audit.csv?action={}&object_type={}&object_id={}&actor={}",
                        current.action, current.object_type, current.object_id, current.actor
                    );
                    view! {
                        <h1 class="ons-u-fs-2xl">"Audit trail"</h1>
                        <p>"Every request, decision, provisioning step, grant and refusal at the proxy, newest first. Entries cannot be changed or removed."</p>
                        <form method="get" action="/operations/audit" class="app-filter">
                            {[("action", "Action", current.action.clone()), ("object_type", "Object type", current.object_type.clone()), ("object_id", "Object id", current.object_id.clone()), ("actor", "User name", current.actor.clone())].into_iter().map(|(id, label, value)| view! {
                                <div class="ons-field ons-u-mb-s">
                                    <label class="ons-label" for=id>{label}</label>
                                    <input type="text" id=id name=id value=value class="ons-input ons-input--text ons-input-type__input ons-input--w-20"/>
                                </div>
                            }).collect_view()}
                            <Button text="Filter" secondary=true/>
                        </form>
                        <p class="ons-u-mt-m"><LinkButton text="Download as CSV" href=csv secondary=true external=true/></p>
                        <table class="ons-table ons-table--compact">
                            <caption class="ons-table__caption ons-u-vh">"Audit entries"</caption>
                            <thead class="ons-table__head"><tr class="ons-table__row">
                                <th scope="col" class="ons-table__header">"When (UTC)"</th>
                                <th scope="col" class="ons-table__header">"Who"</th>
                                <th scope="col" class="ons-table__header">"Action"</th>
                                <th scope="col" class="ons-table__header">"Object"</th>
                                <th scope="col" class="ons-table__header">"Before"</th>
                                <th scope="col" class="ons-table__header">"After"</th>
                                <th scope="col" class="ons-table__header">"Request id"</th>
                            </tr></thead>
                            <tbody class="ons-table__body">
                                {page.lines.into_iter().map(|l| view! {
                                    <tr class="ons-table__row">
                                        <td class="ons-table__cell">{l.at}</td>
                                        <td class="ons-table__cell">{l.actor}</td>
                                        <td class="ons-table__cell"><code>{l.action}</code></td>
                                        <td class="ons-table__cell">{l.object}</td>
                                        <td class="ons-table__cell app-wrap">{l.before}</td>
                                        <td class="ons-table__cell app-wrap">{l.after}</td>
                                        <td class="ons-table__cell ons-u-fs-s">{l.request_id}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        {page.next.map(|n| view! {
                            <p><a href=format!("/operations/audit?action={}&object_type={}&object_id={}&actor={}&before={n}", current.action, current.object_type, current.object_id, current.actor)>"Older entries"</a></p>
                        })}
                    }
                })
            })}
        </Suspense>
    }
}

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let data = Resource::new(use_after(), get_notifications);
    view! {
        <Title text="Notifications"/>
        <Notice/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                or_error_page(data.await, |page| {
                    let unread = page.unread > 0;
                    let (list, next) = (page.lines, page.next);
                    view! {
                        <h1 class="ons-u-fs-2xl">"Notifications"</h1>
                        {unread.then(|| view! {
                            <form method="post" action="/notifications/read"><Button text="Mark all as read" secondary=true small=true/></form>
                        })}
                        {if list.is_empty() {
                            view! { <p>"You have no notifications."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="ons-list ons-list--bare ons-u-mt-m">
                                    {list.into_iter().map(|n| view! {
                                        <li class="ons-list__item ons-u-mb-m">
                                            {(!n.read).then(|| view! { <StatusTag text="New".to_owned() variant="info"/>" " })}
                                            <a href=n.link.clone()><strong>{n.subject}</strong></a>
                                            <br/><span>{n.body}</span>
                                            <br/><span class="ons-u-fs-s">{n.at}</span>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                        <NextPage next=next href=|n| format!("/notifications?after={n}") text="Older notifications"/>
                    }
                })
            })}
        </Suspense>
    }
}
