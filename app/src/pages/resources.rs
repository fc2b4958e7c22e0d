//! The catalogue, the request form, a request's page with live progress, and lists of requests.

use crate::api::{
    get_catalogue, get_request, get_request_form, list_my_requests, take_form, ResourceRow,
};
use crate::components::gauges::{state_variant, GaugeTable};
use crate::components::layout::{or_error_page, Notice};
use crate::components::ons::{
    options, Button, DescriptionList, DescriptionRow, ErrorSummary, Input, LinkButton, RadioItems,
    Select, StatusTag,
};
use crate::components::paging::{use_after, NextPage};
use crate::forms::FormState;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

fn param_id(key: &'static str) -> impl Fn() -> Option<i64> + Copy + Send + Sync + 'static {
    let params = use_params_map();
    move || params.read().get(key).and_then(|s| s.parse::<i64>().ok())
}

/// What the catalogue offers, with a way to ask for each for one of your projects.
#[component]
pub fn CataloguePage() -> impl IntoView {
    let data = Resource::new(|| (), |_| get_catalogue());
    view! {
        <Title text="Catalogue"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                or_error_page(data.await, |c| {
                    let projects = c.projects.clone();
                    view! {
                        <h1 class="ons-u-fs-2xl">"Catalogue"</h1>
                        <p>"Workspaces, storage and web services you can ask for, for a project you belong to. Requests within your project's quota are usually ready in seconds."</p>
                        {projects.is_empty().then(|| view! {
                            <p><strong>"You are not a member of a project yet: "</strong><a href="/projects">"start or join one"</a>" to ask for these."</p>
                        })}
                        {c.offerings.into_iter().map(|o| {
                            let projects = projects.clone();
                            view! {
                                <section class="ons-u-mb-l app-offering" aria-labelledby=format!("offering-{}", o.id)>
                                    <h2 id=format!("offering-{}", o.id) class="ons-u-fs-l ons-u-mb-xs">{o.name.clone()}</h2>
                                    <p class="ons-u-mb-xs"><StatusTag text=o.kind.clone()/>" "{o.needs_approval.then(|| view! { <StatusTag text="Needs approval".to_owned() variant="pending"/> })}</p>
                                    <p class="ons-u-mb-xs">{o.description.clone()}</p>
                                    <p class="ons-u-fs-s ons-u-mb-xs">{o.lifetime.clone()}". Sizes: "{o.sizes.iter().map(|s| s.label.clone()).collect::<Vec<_>>().join("; ")}"."</p>
                                    <ul class="ons-list ons-list--bare ons-list--inline">
                                        {projects.into_iter().map(|(pid, pname)| view! {
                                            <li class="ons-list__item">
                                                <a href=format!("/projects/{pid}/requests/new?offering={}", o.id)>
                                                    "Request for "{pname}<span class="ons-u-vh">{format!(" ({})", o.name)}</span>
                                                </a>
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                </section>
                            }
                        }).collect_view()}
                    }
                })
            })}
        </Suspense>
    }
}

/// The request form, with the project's quota use and the free capacity beside the choice.
#[component]
pub fn NewRequestPage() -> impl IntoView {
    let id = param_id("id");
    let query = use_query_map();
    let data = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_request_form(id).await,
            None => Err(crate::error::AppError::NotFound("project".into())),
        }
    });
    let form = Resource::new(|| (), |_| take_form("new-request".into()));
    view! {
        <Title text="Ask for a resource"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let form = form.await.unwrap_or_default();
                let wanted = query.read_untracked().get("offering").and_then(|s| s.parse::<i64>().ok());
                or_error_page(data.await, move |f| {
                    let chosen = {
                        let v = form.value("choice");
                        if v.is_empty() {
                            f.offerings
                                .iter()
                                .find(|o| Some(o.id) == wanted)
                                .and_then(|o| o.sizes.first().map(|s| format!("{}:{}", o.id, s.code)))
                                .unwrap_or_default()
                        } else {
                            v
                        }
                    };
                    let mut form = form.clone();
                    if form.value("end_date").is_empty() {
                        form.values.insert("end_date".into(), f.project_end_date.clone());
                    }
                    let visibility = {
                        let v = form.value("visibility");
                        if v.is_empty() { "private".to_owned() } else { v }
                    };
                    view! {
                        <ErrorSummary errors=form.errors.clone()/>
                        <nav class="ons-breadcrumbs" aria-label="Breadcrumbs">
                            <ol class="ons-breadcrumbs__items ons-u-fs-s">
                                <li class="ons-breadcrumbs__item"><a class="ons-breadcrumbs__link" href=format!("/projects/{}", f.project_id)>{f.project_name.clone()}</a></li>
                            </ol>
                        </nav>
                        <h1 class="ons-u-fs-2xl">"Ask for a resource for "{f.project_name.clone()}</h1>
                        <div class="ons-grid">
                            <div class="ons-grid__col ons-col-7@m">
                                {request_form(&f, &form, &chosen, visibility.clone())}
                            </div>
                            <div class="ons-grid__col ons-col-5@m">
                                {view! { <GaugeTable caption="This project's quota" gauges=f.quota.clone()/> }.into_any()}
                                <div class="ons-u-mt-l"><GaugeTable caption="Free on the Campus hardware" gauges=f.capacity.clone() free=true/></div>
                                <div class="ons-u-mt-l">{site_table(&f.sites)}</div>
                                <p class="ons-u-fs-s">"Requests within the quota are approved at once. Larger ones go to an operator, who sees the same numbers."</p>
                            </div>
                        </div>
                    }
                })
            })}
        </Suspense>
    }
}

fn request_form(
    f: &crate::api::RequestForm,
    form: &FormState,
    chosen: &str,
    visibility: String,
) -> AnyView {
    let choice_error = form.error("choice");
    let choice_described = choice_error.is_some().then_some("choice-error");
    let form = form.clone();
    let chosen = chosen.to_owned();
    view! {
        <form method="post" action=format!("/projects/{}/requests", f.project_id) novalidate>
            <fieldset class="ons-fieldset" id="choice" aria-describedby=choice_described>
                <legend class="ons-fieldset__legend">"What do you need?"</legend>
                {choice_error.map(|m| view! { <p class="ons-panel__error" id="choice-error"><strong>{m}</strong></p> })}
                {f.offerings.iter().map(|o| {
                    let chosen = chosen.clone();
                    view! {
                        <p class="ons-u-fs-r--b ons-u-mt-m ons-u-mb-xs">{o.name.clone()}{o.needs_approval.then_some(" (needs approval)")}</p>
                        <p class="ons-u-fs-s ons-u-mb-xs">{o.description.clone()}</p>
                        {f.largest.iter().find(|(id, _)| *id == o.id).map(|(_, text)| view! { <p class="ons-u-fs-s ons-u-mb-xs">{text.clone()}</p> })}
                        {match o.unavailable.clone() {
                            Some(why) => view! { <p class="ons-u-fs-s"><strong>"Unavailable here: "</strong>{why}</p> }.into_any(),
                            None => view! {
                                <RadioItems name="choice" checked=chosen
                                    options=o.sizes.iter().map(|s| (format!("{}:{}", o.id, s.code), format!("{}: {}", o.name, s.label))).collect()/>
                            }.into_any(),
                        }}
                    }
                }).collect_view()}
            </fieldset>
            <div class="ons-u-mt-l">
                <Select id="site" label="Data centre" form=form.clone() prompt="Wherever there is room"
                    options=f.sites.iter().map(|s| (s.code.clone(), format!("{} ({})", s.name, s.code))).collect()/>
                <p class="ons-u-fs-s">"It runs on one host that can hold all of it, in the data centre you choose when one there can, otherwise in the other."</p>
            </div>
            <Input id="end_date" label="End date" hint="When you will no longer need it, for example 2027-03-31. It defaults to the project's end date and cannot be later." form=form.clone() width=10/>
            <Input id="purpose" label="What will you use it for?" hint="A sentence or two; operators read this if the request needs approval." form=form.clone() textarea=true/>
            <fieldset class="ons-fieldset ons-u-mt-l" id="visibility">
                <legend class="ons-fieldset__legend">"Who may open it?"</legend>
                <p class="ons-u-fs-s">"Workspaces and storage are for you or your project; web services may also be shown to all staff. To publish a web service to everyone, ask for its outputs to be checked once it runs: two output checkers approve what goes public."</p>
                {form.error("visibility").map(|m| view! { <p class="ons-panel__error"><strong>{m}</strong></p> })}
                <RadioItems name="visibility" checked=visibility.clone()
                    options=options(&[("private", "Only me"), ("project", "Members of the project"), ("staff", "Anyone signed in as staff (web services only)")])/>
            </fieldset>
            <div class="ons-u-mt-l"><Button text="Send request"/></div>
        </form>
    }
    .into_any()
}

/// Free room by data centre: a request must fit on one host, so the most on one host matters
/// as much as the sum.
fn site_table(sites: &[crate::api::SiteRow]) -> AnyView {
    view! {
        <table class="ons-table">
            <caption class="ons-table__caption">"Free by data centre"</caption>
            <thead class="ons-table__head"><tr class="ons-table__row">
                <th scope="col" class="ons-table__header">"Data centre"</th>
                <th scope="col" class="ons-table__header ons-table__header--numeric">"Cores"</th>
                <th scope="col" class="ons-table__header ons-table__header--numeric">"Memory (GB)"</th>
                <th scope="col" class="ons-table__header ons-table__header--numeric">"GPUs"</th>
                <th scope="col" class="ons-table__header">"Most on one host"</th>
            </tr></thead>
            <tbody class="ons-table__body">
                {sites.iter().map(|s| view! {
                    <tr class="ons-table__row">
                        <th scope="row" class="ons-table__cell">{s.code.clone()}</th>
                        <td class="ons-table__cell ons-table__cell--numeric">{s.cores}</td>
                        <td class="ons-table__cell ons-table__cell--numeric">{s.ram_gb}</td>
                        <td class="ons-table__cell ons-table__cell--numeric">{s.gpus}</td>
                        <td class="ons-table__cell">{s.most_on_one.clone()}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

fn resource_table(rows: Vec<ResourceRow>, caption: &'static str, show_project: bool) -> AnyView {
    if rows.is_empty() {
        return view! { <p>"Nothing here yet."</p> }.into_any();
    }
    view! {
        <table class="ons-table">
            <caption class="ons-table__caption ons-u-vh">{caption}</caption>
            <thead class="ons-table__head"><tr class="ons-table__row">
                <th scope="col" class="ons-table__header">"Request"</th>
                {show_project.then(|| view! { <th scope="col" class="ons-table__header">"Project"</th> })}
                <th scope="col" class="ons-table__header">"Asked for by"</th>
                <th scope="col" class="ons-table__header">"Status"</th>
                <th scope="col" class="ons-table__header">"Ends"</th>
            </tr></thead>
            <tbody class="ons-table__body">
                {rows.into_iter().map(|r| view! {
                    <tr class="ons-table__row">
                        <td class="ons-table__cell"><a href=format!("/requests/{}", r.id)>{format!("{} ({})", r.offering, r.size)}</a>" "<span class="ons-u-fs-s">{r.name.clone()}</span></td>
                        {show_project.then(|| view! { <td class="ons-table__cell">{r.project.clone()}</td> })}
                        <td class="ons-table__cell">{r.requester.clone()}</td>
                        <td class="ons-table__cell"><StatusTag text=r.state_label.clone() variant=state_variant(&r.state)/></td>
                        <td class="ons-table__cell">{r.end_date.clone()}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

pub fn resources_table(
    rows: Vec<ResourceRow>,
    caption: &'static str,
    show_project: bool,
) -> AnyView {
    resource_table(rows, caption, show_project)
}

/// Everything in the person's projects.
#[component]
pub fn RequestsPage() -> impl IntoView {
    let data = Resource::new(use_after(), list_my_requests);
    view! {
        <Title text="My resources"/>
        <Notice/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                or_error_page(data.await, |page| view! {
                    <h1 class="ons-u-fs-2xl">"Resources in my projects"</h1>
                    <p><a href="/catalogue">"Ask for something new from the catalogue"</a></p>
                    {resource_table(page.rows, "Requests and resources in your projects", true)}
                    <NextPage next=page.next href=|n| format!("/requests?after={n}") text="Older requests"/>
                })
            })}
        </Suspense>
    }
}

/// One request: what was asked for, where it has got to, and what can be done with it now.
#[component]
pub fn RequestPage() -> impl IntoView {
    let id = param_id("id");
    let data = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_request(id).await,
            None => Err(crate::error::AppError::NotFound("request".into())),
        }
    });
    let form = Resource::new(|| (), |_| take_form("request-action".into()));
    live_updates(id, move || data.refetch());
    view! {
        <Notice/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let form = form.await.unwrap_or_default();
                or_error_page(data.await, move |d| request_view(d, form))
            })}
        </Suspense>
    }
}

fn request_view(d: crate::api::RequestDetail, form: FormState) -> impl IntoView {
    let id = d.row.id;
    let title = format!("{} ({})", d.row.offering, d.row.size);
    let failed = d.row.state == "failed";
    let pending = d.pending.clone();
    let resubmit = d.can_resubmit.then(|| resubmit_form(id, &d, form.clone()));
    view! {
        <Title text=title.clone()/>
        <ErrorSummary errors=form.errors.clone()/>
        <nav class="ons-breadcrumbs" aria-label="Breadcrumbs">
            <ol class="ons-breadcrumbs__items ons-u-fs-s">
                <li class="ons-breadcrumbs__item"><a class="ons-breadcrumbs__link" href=format!("/projects/{}", d.project_id)>{d.row.project.clone()}</a></li>
            </ol>
        </nav>
        <h1 class="ons-u-fs-2xl">{title}</h1>
        <p aria-live="polite" id="request-status">
            "Status: "<StatusTag text=d.row.state_label.clone() variant=state_variant(&d.row.state)/>
            {pending.map(|p| view! { " "<StatusTag text=format!("{p}…") variant="pending"/> })}
        </p>
        {failed.then(|| view! {
            <div class="ons-panel ons-panel--error ons-panel--no-title">
                <span class="ons-panel__assistive-text ons-u-vh">"Error: "</span>
                <div class="ons-panel__body"><p><strong>"It could not be set up. "</strong>{d.row.reason.clone()}</p></div>
            </div>
        })}
        {(matches!(d.row.state.as_str(), "rejected" | "changes_requested") && !d.row.reason.is_empty()).then(|| view! {
            <div class="ons-panel ons-panel--info ons-panel--no-title">
                <span class="ons-panel__assistive-text ons-u-vh">"Important information: "</span>
                <div class="ons-panel__body"><p>{if d.row.state == "rejected" { "The operator's reason: " } else { "The operator asked for changes: " }}{d.row.reason.clone()}</p></div>
            </div>
        })}
        {d.open_url.clone().map(|url| view! {
            <p class="ons-u-mt-m"><LinkButton text="Open" href=url external=true/></p>
        })}
        {d.connection_url.clone().map(|url| view! {
            <p class="ons-u-mt-m">
                <LinkButton text="Download connection settings" href=url secondary=true external=true/>
                <br/><span class="ons-u-fs-s">"Host, port, database, user and password as PG variables, which psql, R and Python read. Keep the file private."</span>
            </p>
        })}
        <DescriptionList>
            <DescriptionRow term="Kind">{d.kind.clone()}</DescriptionRow>
            <DescriptionRow term="Size">{d.amounts.clone()}</DescriptionRow>
            {d.used.clone().map(|u| view! { <DescriptionRow term="Space used">{u}</DescriptionRow> })}
            <DescriptionRow term="Project">{d.row.project.clone()}</DescriptionRow>
            <DescriptionRow term="Asked for by">{d.row.requester.clone()}</DescriptionRow>
            <DescriptionRow term="Purpose">{d.purpose.clone()}</DescriptionRow>
            <DescriptionRow term="Who may open it">{d.visibility.clone()}</DescriptionRow>
            <DescriptionRow term="Ends">{d.row.end_date.clone()}</DescriptionRow>
            <DescriptionRow term="Name">{d.row.name.clone()}</DescriptionRow>
            {d.host.clone().map(|h| view! { <DescriptionRow term="Host">{h}</DescriptionRow> })}
            {(!d.row.placement.is_empty()).then(|| view! { <DescriptionRow term="Runs on">{d.row.placement.clone()}</DescriptionRow> })}
        </DescriptionList>
        {(!d.checks.is_empty() || d.may_ask_check).then(|| {
            let resubmit = d.checks.iter().any(|c| c.state == "changes_requested");
            view! {
                <h2 class="ons-u-mt-l">"Public release"</h2>
                <p>"A web service goes public only after two output checkers from outside the project approve a frozen copy of its files, and it then serves exactly that copy."</p>
                {(!d.checks.is_empty()).then(|| crate::pages::checks_table("This web service's output checks", d.checks.clone(), false))}
                {d.may_ask_check.then(|| view! {
                    <p class="ons-u-mt-m">
                        <LinkButton text=if resubmit { "Send a new snapshot" } else { "Ask for an output check" }
                            href=format!("/requests/{id}/output-check") secondary=true/>
                    </p>
                })}
            }
        })}
        {(!d.actions.is_empty()).then(|| view! {
            <h2 class="ons-u-mt-l">"Change it"</h2>
            <div class="app-actions">
                {d.actions.iter().map(|(action, _)| {
                    let secondary = action != "retry";
                    // Button labels are static text; the server sends the action's name.
                    let text: &'static str = match action.as_str() {
                        "stop" => "Stop",
                        "start" => "Start",
                        "extend" => "Extend",
                        "retry" => "Try again",
                        _ => "Remove",
                    };
                    view! {
                        <form method="post" action=format!("/requests/{id}/actions/{action}") class="app-inline-form">
                            <Button text=text secondary=secondary/>
                        </form>
                    }
                }).collect_view()}
            </div>
        })}
        {d.can_decide.then(|| decision_form(id, form.clone()))}
        {resubmit}
        <h2 class="ons-u-mt-l">"Progress"</h2>
        <ol class="ons-list app-steps" id="progress">
            {d.steps.into_iter().map(|s| view! {
                <li class="ons-list__item">
                    <strong>{s.label}</strong>" — "{s.at}
                    {s.actor.map(|a| view! { " by "{a} })}
                    {(!s.note.is_empty()).then(|| view! { <br/><span class="ons-u-fs-s">{s.note}</span> })}
                </li>
            }).collect_view()}
        </ol>
    }
}

fn decision_form(id: i64, form: FormState) -> impl IntoView {
    view! {
        <h2 class="ons-u-mt-l">"Decide"</h2>
        <form method="post" action=format!("/requests/{id}/decision") novalidate>
            <fieldset class="ons-fieldset" id="decision">
                <legend class="ons-fieldset__legend">"Your decision"</legend>
                <RadioItems name="decision" checked=form.value("decision")
                    options=options(&[("approve", "Approve"), ("changes", "Ask for changes"), ("reject", "Reject")])/>
            </fieldset>
            <Input id="reason" label="Reason or the changes needed" hint="Required to reject or ask for changes; the person who asked reads it." form=form.clone() textarea=true/>
            <div class="ons-u-mt-m"><Button text="Record decision"/></div>
        </form>
    }
}

fn resubmit_form(id: i64, d: &crate::api::RequestDetail, form: FormState) -> impl IntoView {
    let mut form = form;
    for (k, v) in [
        ("end_date", d.row.end_date.clone()),
        ("purpose", d.purpose.clone()),
    ] {
        form.values.entry(k.to_owned()).or_insert(v);
    }
    let current = form
        .values
        .get("size")
        .cloned()
        .unwrap_or_else(|| d.size_code.clone());
    view! {
        <h2 class="ons-u-mt-l">"Change and send again"</h2>
        <form method="post" action=format!("/requests/{id}/resubmit") novalidate>
            <fieldset class="ons-fieldset" id="size">
                <legend class="ons-fieldset__legend">"Size"</legend>
                <RadioItems name="size" checked=current.clone()
                    options=d.sizes.iter().map(|s| (s.code.clone(), s.label.clone())).collect()/>
            </fieldset>
            <Input id="end_date" label="End date" form=form.clone() width=10/>
            <Input id="purpose" label="What will you use it for?" form=form.clone() textarea=true/>
            <input type="hidden" name="visibility" value=if d.visibility.starts_with("Only") { "private" } else { "project" }/>
            <div class="ons-u-mt-m"><Button text="Send again"/></div>
        </form>
    }
}

/// With JavaScript on, the page listens to the request's event stream and reloads its data
/// whenever a step is recorded; without it, a reload shows the same.
#[allow(unused_variables)]
fn live_updates(
    id: impl Fn() -> Option<i64> + Copy + Send + Sync + 'static,
    refetch: impl Fn() + Clone + 'static,
) {
    #[cfg(feature = "hydrate")]
    {
        use send_wrapper::SendWrapper;
        use wasm_bindgen::prelude::Closure;
        use wasm_bindgen::JsCast;
        Effect::new(move |_| {
            let Some(id) = id() else { return };
            let Ok(source) = web_sys::EventSource::new(&format!("/requests/{id}/events")) else {
                return;
            };
            let refetch = refetch.clone();
            let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_| refetch());
            source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            let held = SendWrapper::new((source, on_message));
            on_cleanup(move || {
                let (source, _closure) = held.take();
                source.close();
            });
        });
    }
}
