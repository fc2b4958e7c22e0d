//! Operators' settings: the catalogue's policies and a project's quota.

use crate::api::{
    get_offering_policy, get_project_quota, list_offering_settings, may_manage_catalogue,
    take_form, ProjectQuotaView, ResourceRow, SizeRow,
};
use crate::components::gauges::GaugeTable;
use crate::components::layout::{or_error_page, Notice};
use crate::components::ons::{
    options, Button, Checkbox, DescriptionList, DescriptionRow, ErrorSummary, Input, LinkButton,
    RadioItems, StatusTag,
};
use crate::error::AppError;
use crate::forms::FormState;
use crate::pages::resources_table;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use std::collections::BTreeMap;

fn id_param(name: &'static str) -> impl Fn() -> Option<i64> + Copy + Send + Sync + 'static {
    let params = use_params_map();
    move || params.read().get(name).and_then(|s| s.parse::<i64>().ok())
}

/// Every offering with its policy, retired ones included, each with a link to change it.
#[component]
pub fn OfferingSettingsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| list_offering_settings());
    view! {
        <Title text="Catalogue settings"/>
        <Notice/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                or_error_page(data.await, |rows| view! {
                    <nav class="ons-breadcrumbs" aria-label="Breadcrumbs">
                        <ol class="ons-breadcrumbs__items ons-u-fs-s">
                            <li class="ons-breadcrumbs__item"><a class="ons-breadcrumbs__link" href="/operations">"Operations"</a></li>
                        </ol>
                    </nav>
                    <h1 class="ons-u-fs-2xl">"Catalogue settings"</h1>
                    <p>"What each offering allows. A change applies to new requests and to extensions from now on; resources already approved keep their end dates."</p>
                    <p><LinkButton text="Add an offering" href="/operations/catalogue/new".to_owned() secondary=true/></p>
                    <table class="ons-table">
                        <caption class="ons-table__caption ons-u-vh">"Offerings and their policies"</caption>
                        <thead class="ons-table__head"><tr class="ons-table__row">
                            <th scope="col" class="ons-table__header">"Offering"</th>
                            <th scope="col" class="ons-table__header">"Needs approval"</th>
                            <th scope="col" class="ons-table__header">"Usual lifetime"</th>
                            <th scope="col" class="ons-table__header">"Extensions"</th>
                            <th scope="col" class="ons-table__header">"Idle stop"</th>
                            <th scope="col" class="ons-table__header">"Sizes"</th>
                            <th scope="col" class="ons-table__header">"Status"</th>
                        </tr></thead>
                        <tbody class="ons-table__body">
                            {rows.into_iter().map(|r| view! {
                                <tr class="ons-table__row">
                                    <td class="ons-table__cell">
                                        <a href=format!("/operations/catalogue/{}", r.id)>{r.name.clone()}</a>
                                        <br/><span class="ons-u-fs-s">{r.kind}</span>
                                    </td>
                                    <td class="ons-table__cell">{r.approval}</td>
                                    <td class="ons-table__cell">{r.lifetime}</td>
                                    <td class="ons-table__cell">{r.renewal}</td>
                                    <td class="ons-table__cell">{r.idle_stop}</td>
                                    <td class="ons-table__cell ons-u-fs-s">{r.sizes}</td>
                                    <td class="ons-table__cell">{if r.retired {
                                        view! { <StatusTag text="Retired".to_owned() variant="dead"/> }.into_any()
                                    } else {
                                        view! { <StatusTag text="Offered".to_owned() variant="success"/> }.into_any()
                                    }}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                })
            })}
        </Suspense>
    }
}

/// One offering's policy form.
#[component]
pub fn OfferingPolicyPage() -> impl IntoView {
    let id = id_param("id");
    let data = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_offering_policy(id).await,
            None => Err(crate::error::AppError::NotFound("offering".into())),
        }
    });
    let form = Resource::new(|| (), |_| take_form("offering-policy".into()));
    let size_form = Resource::new(|| (), |_| take_form("offering-size".into()));
    view! {
        <Notice/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let posted = form.await.unwrap_or_default();
                let size_form = size_form.await.unwrap_or_default();
                or_error_page(data.await, move |o| {
                    // After a refused post the form shows what was typed; otherwise the policy.
                    let again = !posted.errors.is_empty();
                    let form = if again {
                        posted.clone()
                    } else {
                        FormState {
                            values: BTreeMap::from([
                                ("default_days".to_owned(), o.default_days.to_string()),
                                ("extension_days".to_owned(), o.extension_days.to_string()),
                                ("max_extensions".to_owned(), o.max_extensions.to_string()),
                                ("idle_stop_minutes".to_owned(), o.idle_stop_minutes.to_string()),
                            ]),
                            errors: Vec::new(),
                        }
                    };
                    let checked = |field: &str, current: bool| {
                        if again { posted.values.contains_key(field) } else { current }
                    };
                    let needs_approval = checked("needs_approval", o.needs_approval);
                    let retired = checked("retired", o.retired);
                    view! {
                        <Title text=format!("Policy for {}", o.name)/>
                        <ErrorSummary errors=form.errors.clone()/>
                        <ErrorSummary errors=size_form.errors.clone()/>
                        <nav class="ons-breadcrumbs" aria-label="Breadcrumbs">
                            <ol class="ons-breadcrumbs__items ons-u-fs-s">
                                <li class="ons-breadcrumbs__item"><a class="ons-breadcrumbs__link" href="/operations">"Operations"</a></li>
                                <li class="ons-breadcrumbs__item"><a class="ons-breadcrumbs__link" href="/operations/catalogue">"Catalogue settings"</a></li>
                            </ol>
                        </nav>
                        <h1 class="ons-u-fs-2xl">"Policy for "{o.name.clone()}</h1>
                        <p>{o.kind.clone()}". Sizes: "{o.sizes.join("; ")}"."</p>
                        <form method="post" action=format!("/operations/catalogue/{}", o.id) novalidate>
                            <fieldset class="ons-fieldset">
                                <legend class="ons-fieldset__legend">"Approval and availability"</legend>
                                <div class="ons-checkboxes__items">
                                    <Checkbox name="needs_approval" value="yes".to_owned() label="Every request needs an operator's approval".to_owned() checked=needs_approval
                                        hint=Some("Otherwise requests within the project's quota are approved at once".to_owned())/>
                                    <br/>
                                    <Checkbox name="retired" value="yes".to_owned() label="Retired: no new requests".to_owned() checked=retired
                                        hint=Some("Resources already running keep running until they end".to_owned())/>
                                </div>
                            </fieldset>
                            <div class="ons-u-mt-l">
                                <Input id="default_days" label="Usual lifetime in days" hint="New requests end this many days after they are made, or at the project's end if sooner (1 to 730)" form=form.clone() width=4/>
                            </div>
                            <div class="ons-u-mt-m">
                                <Input id="max_extensions" label="How many times it can be extended" hint="0 for never (up to 20)" form=form.clone() width=4/>
                            </div>
                            <div class="ons-u-mt-m">
                                <Input id="extension_days" label="Days each extension adds" hint="0 only when it cannot be extended (up to 365)" form=form.clone() width=4/>
                            </div>
                            {if o.runs {
                                view! {
                                    <div class="ons-u-mt-m">
                                        <Input id="idle_stop_minutes" label="Stop after this many idle minutes" hint="0 for never (up to 10080, a week)" form=form.clone() width=6/>
                                    </div>
                                }.into_any()
                            } else {
                                view! { <input type="hidden" name="idle_stop_minutes" value="0"/> }.into_any()
                            }}
                            <div class="ons-u-mt-l"><Button text="Save policy"/></div>
                        </form>
                        {sizes_section(o.id, o.size_rows.clone(), size_form.clone())}
                    }
                })
            })}
        </Suspense>
    }
}

/// An offering's sizes, each removable, and the form to add one.
fn sizes_section(id: i64, sizes: Vec<SizeRow>, form: FormState) -> impl IntoView {
    let last = sizes.len() == 1;
    view! {
        <h2 class="ons-u-mt-xl" id="sizes">"Sizes"</h2>
        <p>"Removing a size takes nothing from resources of that size; it only stops new requests for it."</p>
        <table class="ons-table">
            <caption class="ons-table__caption ons-u-vh">"Sizes of this offering"</caption>
            <thead class="ons-table__head"><tr class="ons-table__row">
                <th scope="col" class="ons-table__header">"Size"</th>
                <th scope="col" class="ons-table__header ons-table__header--numeric">"Cores"</th>
                <th scope="col" class="ons-table__header ons-table__header--numeric">"Memory (GB)"</th>
                <th scope="col" class="ons-table__header ons-table__header--numeric">"GPUs"</th>
                <th scope="col" class="ons-table__header ons-table__header--numeric">"Storage (GB)"</th>
                <th scope="col" class="ons-table__header"><span class="ons-u-vh">"Actions"</span></th>
            </tr></thead>
            <tbody class="ons-table__body">
                {sizes.into_iter().map(|z| view! {
                    <tr class="ons-table__row">
                        <td class="ons-table__cell"><code>{z.code.clone()}</code>" "{z.label.clone()}</td>
                        <td class="ons-table__cell ons-table__cell--numeric">{z.cpu_cores}</td>
                        <td class="ons-table__cell ons-table__cell--numeric">{z.ram_gb}</td>
                        <td class="ons-table__cell ons-table__cell--numeric">{z.gpus}</td>
                        <td class="ons-table__cell ons-table__cell--numeric">{z.storage_gb}</td>
                        <td class="ons-table__cell">
                            {(!last).then(|| view! {
                                <form method="post" action=format!("/operations/catalogue/{id}/sizes/{}/remove", z.code)>
                                    <Button text="Remove" secondary=true small=true aria_label=format!("Remove size {}", z.code)/>
                                </form>
                            })}
                        </td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        <h3 class="ons-u-mt-l">"Add a size"</h3>
        <form method="post" action=format!("/operations/catalogue/{id}/sizes") novalidate>
            {size_fields(form)}
            <div class="ons-u-mt-m"><Button text="Add size"/></div>
        </form>
    }
}

/// The fields of one size, shared by the add-a-size and add-an-offering forms.
fn size_fields(form: FormState) -> impl IntoView {
    view! {
        <Input id="code" label="Size code" hint="Lower-case letters, digits and hyphens, such as large" form=form.clone() width=10/>
        <Input id="label" label="Size as people see it" hint="For example: Large: 8 cores, 64 GB memory" form=form.clone() width=30/>
        <Input id="cpu_cores" label="CPU cores" hint="0 for storage" form=form.clone() width=4/>
        <Input id="ram_gb" label="Memory in GB" hint="0 for storage" form=form.clone() width=4/>
        <Input id="gpus" label="GPUs" form=form.clone() width=4/>
        <Input id="storage_gb" label="Storage in GB" form=form.clone() width=6/>
    }
}

/// The form to add an offering, for operators.
#[component]
pub fn NewOfferingPage() -> impl IntoView {
    let allowed = Resource::new(|| (), |_| may_manage_catalogue());
    let form = Resource::new(|| (), |_| take_form("new-offering".into()));
    view! {
        <Title text="Add an offering"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let allowed = allowed.await;
                let form = form.await.unwrap_or_default();
                or_error_page(allowed, move |_| {
                    let kind = form.value("kind");
                    let approval = form.values.contains_key("needs_approval");
                    view! {
                        <ErrorSummary errors=form.errors.clone()/>
                        <nav class="ons-breadcrumbs" aria-label="Breadcrumbs">
                            <ol class="ons-breadcrumbs__items ons-u-fs-s">
                                <li class="ons-breadcrumbs__item"><a class="ons-breadcrumbs__link" href="/operations">"Operations"</a></li>
                                <li class="ons-breadcrumbs__item"><a class="ons-breadcrumbs__link" href="/operations/catalogue">"Catalogue settings"</a></li>
                            </ol>
                        </nav>
                        <h1 class="ons-u-fs-2xl">"Add an offering"</h1>
                        <p>"It is offered as soon as it is added. Set how it is extended and when idle ones stop on its policy page afterwards."</p>
                        <form method="post" action="/operations/catalogue" novalidate>
                            <fieldset class="ons-fieldset" id="kind">
                                <legend class="ons-fieldset__legend">"What is it?"</legend>
                                {form.error("kind").map(|m| view! { <p class="ons-panel__error"><strong>{m}</strong></p> })}
                                <RadioItems name="kind" checked=kind.clone()
                                    options=options(&[("workspace", "A workspace that runs a program"), ("web_service", "A published web service that runs a program"), ("storage", "Dataset storage: a directory"), ("database", "Dataset storage: a PostgreSQL database")])/>
                            </fieldset>
                            <div class="ons-u-mt-l">
                                <Input id="name" label="Name" hint="As people see it in the catalogue, for example Shiny app" form=form.clone() width=30/>
                            </div>
                            <Input id="description" label="Description" hint="What it is for, in a sentence or two" form=form.clone() textarea=true/>
                            <Input id="program" label="Program (workspaces and web services)" hint="A program installed for workloads, by name or full path, for example python3. It runs as the person who asks, in a sandbox of its own." form=form.clone() width=30/>
                            <Input id="arguments" label="Its arguments, one per line" hint="Each line is passed as it is, never through a shell. It must listen on {port} or on the Unix socket {socket}; {host}, {home} (the person's files) and {base_url} (its address under the portal) are filled in too. For example: -m, http.server, {port}, --bind, {host}, --directory, {home}, each on its own line." form=form.clone() textarea=true/>
                            <Input id="default_days" label="Usual lifetime in days" hint="1 to 730" form=form.clone() width=4/>
                            <fieldset class="ons-fieldset ons-u-mt-m">
                                <legend class="ons-fieldset__legend">"Approval"</legend>
                                <div class="ons-checkboxes__items">
                                    <Checkbox name="needs_approval" value="yes".to_owned() label="Every request needs an operator's approval".to_owned() checked=approval/>
                                </div>
                            </fieldset>
                            <h2 class="ons-u-mt-l">"Its first size"</h2>
                            {size_fields(form.clone())}
                            <div class="ons-u-mt-l"><Button text="Add offering"/></div>
                        </form>
                    }
                })
            })}
        </Suspense>
    }
}

/// What a project holds, shown on its page: its resources and its quota. The page creates
/// both resources at its top, so hydration finds them again.
#[component]
pub fn ProjectHoldings(
    quota: Resource<Result<ProjectQuotaView, AppError>>,
    held: Resource<Result<Vec<ResourceRow>, AppError>>,
) -> impl IntoView {
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let (Ok(q), Ok(rows)) = (quota.await, held.await) else {
                    return ().into_any();
                };
                view! {
                    <h2 class="ons-u-mt-xl">"Resources"</h2>
                    {if rows.is_empty() {
                        view! { <p>"The project has no workspaces, storage or web services yet."</p> }.into_any()
                    } else {
                        resources_table(rows, "The project's resources", false)
                    }}
                    {q.can_request.then(|| view! {
                        <p><LinkButton text="Request a resource" href=format!("/projects/{}/requests/new", q.project_id) secondary=true/></p>
                    })}
                    <GaugeTable caption="Quota: what the project holds, of what it may hold" gauges=q.gauges.clone()/>
                    {q.can_change.then(|| view! {
                        <p><a href=format!("/projects/{}/quota", q.project_id)>"Change this project's quota"</a></p>
                    })}
                }.into_any()
            })}
        </Suspense>
    }
}

fn quota_form(q: &ProjectQuotaView, posted: FormState) -> FormState {
    if !posted.errors.is_empty() {
        return posted;
    }
    FormState {
        values: q
            .limits
            .iter()
            .map(|l| (l.key.clone(), l.limit.to_string()))
            .collect(),
        errors: Vec::new(),
    }
}

/// A project's quota, and for operators the form to change it.
#[component]
pub fn ProjectQuotaPage() -> impl IntoView {
    let id = id_param("id");
    let data = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_project_quota(id).await,
            None => Err(crate::error::AppError::NotFound("project".into())),
        }
    });
    let form = Resource::new(|| (), |_| take_form("project-quota".into()));
    let limits_form = Resource::new(|| (), |_| take_form("booking-limits".into()));
    view! {
        <Notice/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let posted = form.await.unwrap_or_default();
                let posted_limits = limits_form.await.unwrap_or_default();
                or_error_page(data.await, move |q| {
                    let form = quota_form(&q, posted);
                    let limits = if posted_limits.errors.is_empty() {
                        FormState {
                            values: q.booking_limits.iter().map(|(k, _, v)| (k.clone(), v.to_string())).collect(),
                            errors: Vec::new(),
                        }
                    } else {
                        posted_limits
                    };
                    let mut errors = form.errors.clone();
                    errors.extend(limits.errors.clone());
                    view! {
                        <Title text=format!("Quota of {}", q.project_name)/>
                        <ErrorSummary errors=errors/>
                        <nav class="ons-breadcrumbs" aria-label="Breadcrumbs">
                            <ol class="ons-breadcrumbs__items ons-u-fs-s">
                                <li class="ons-breadcrumbs__item"><a class="ons-breadcrumbs__link" href="/projects">"Projects"</a></li>
                                <li class="ons-breadcrumbs__item"><a class="ons-breadcrumbs__link" href=format!("/projects/{}", q.project_id)>{q.project_name.clone()}</a></li>
                            </ol>
                        </nav>
                        <h1 class="ons-u-fs-2xl">"Quota of "{q.project_name.clone()}</h1>
                        <GaugeTable caption="What the project holds now, of its quota" gauges=q.gauges.clone()/>
                        {q.can_change.then(|| view! {
                            <h2 class="ons-u-mt-xl">"Change the quota"</h2>
                            <p>"Requests within the quota are approved at once; larger ones come to an operator. A limit below what the project holds now takes nothing away: it only sends new requests for a decision."</p>
                            <form method="post" action=format!("/projects/{}/quota", q.project_id) novalidate>
                                {q.limits.iter().map(|l| view! {
                                    <div class="ons-u-mb-m">
                                        <Input id=l.key.clone() label=l.label.clone() hint=format!("Holds {} now", l.used) form=form.clone() width=6/>
                                    </div>
                                }).collect_view()}
                                <Button text="Save quota"/>
                            </form>
                        })}
                        <h2 class="ons-u-mt-xl">"Accelerator booking limits"</h2>
                        <p>{if q.booking_limits_default { "The portal's defaults apply: operators have set none for this project. " } else { "" }}"Bookings within these are confirmed at once; beyond them an operator decides."</p>
                        {if q.can_change {
                            view! {
                                <form method="post" action=format!("/projects/{}/booking-limits", q.project_id) novalidate>
                                    {q.booking_limits.iter().map(|(key, label, _)| view! {
                                        <div class="ons-u-mb-m"><Input id=key.clone() label=label.clone() form=limits.clone() width=6/></div>
                                    }).collect_view()}
                                    <Button text="Save booking limits"/>
                                </form>
                            }.into_any()
                        } else {
                            view! {
                                <DescriptionList>
                                    {q.booking_limits.clone().into_iter().map(|(_, label, v)| {
                                        let value = v.to_string();
                                        view! { <DescriptionRow term=label>{value}</DescriptionRow> }
                                    }).collect_view()}
                                </DescriptionList>
                            }.into_any()
                        }}
                    }
                })
            })}
        </Suspense>
    }
}
