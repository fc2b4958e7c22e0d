//! The hardware inventory (operators): hosts by data centre with their devices and free room,
//! and one host's page to change, drain, retire it and its devices. Plain forms throughout.

use crate::api::{get_inventory, get_inventory_host, take_form, InventoryHost};
use crate::components::layout::{or_error_page, Notice};
use crate::components::ons::{
    options, Button, DescriptionList, DescriptionRow, ErrorSummary, Input, RadioItems, Select,
    StatusTag,
};
use crate::forms::FormState;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use std::collections::BTreeMap;

fn breadcrumbs(host_page: bool) -> impl IntoView {
    view! {
        <nav class="ons-breadcrumbs" aria-label="Breadcrumbs">
            <ol class="ons-breadcrumbs__items ons-u-fs-s">
                <li class="ons-breadcrumbs__item"><a class="ons-breadcrumbs__link" href="/operations">"Operations"</a></li>
                {host_page.then(|| view! {
                    <li class="ons-breadcrumbs__item"><a class="ons-breadcrumbs__link" href="/operations/inventory">"Hardware inventory"</a></li>
                })}
            </ol>
        </nav>
    }
}

fn status(h: &InventoryHost) -> AnyView {
    let variant = if h.drained { "pending" } else { "success" };
    view! { <StatusTag text=h.state.clone() variant=variant/> }.into_any()
}

/// The size fields one host form has, for adding and for changing.
fn host_fields(form: &FormState, sites: Vec<(String, String)>) -> impl IntoView {
    view! {
        <Select id="site" label="Data centre" form=form.clone() options=sites prompt="Choose a data centre"/>
        <Input id="name" label="Host name" hint="As the machine is known on the network: lower-case letters, digits and hyphens, like dc1-cpu-05." form=form.clone() width=20/>
        <Input id="cores" label="CPU cores" form=form.clone() width=5/>
        <Input id="mhz_per_core" label="Clock speed per core (MHz)" form=form.clone() width=5/>
        <Input id="ram_gb" label="Memory (GB)" form=form.clone() width=6/>
        <Input id="storage_gb" label="Storage (GB)" form=form.clone() width=8/>
    }
}

/// Every host by data centre, with a form to add one.
#[component]
pub fn InventoryPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| get_inventory());
    let form = Resource::new(|| (), |_| take_form("host-new".into()));
    view! {
        <Title text="Hardware inventory"/>
        <Notice/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let form = form.await.unwrap_or_default();
                or_error_page(data.await, move |inv| {
                    let own_sites: Vec<(String, String)> = inv.sites.iter()
                        .filter(|(code, _)| code != "SLURM").cloned().collect();
                    view! {
                        <ErrorSummary errors=form.errors.clone()/>
                        {breadcrumbs(false)}
                        <h1 class="ons-u-fs-2xl">"Hardware inventory"</h1>
                        <p>"Every host takes work only whole: a request must fit on one of them. Drained hosts finish what runs on them and take nothing new. Hosts of the Slurm cluster come from Slurm and are kept in step with it."</p>
                        <table class="ons-table">
                            <caption class="ons-table__caption">"Hosts"</caption>
                            <thead class="ons-table__head"><tr class="ons-table__row">
                                <th scope="col" class="ons-table__header">"Host"</th>
                                <th scope="col" class="ons-table__header">"Data centre"</th>
                                <th scope="col" class="ons-table__header ons-table__header--numeric">"Cores"</th>
                                <th scope="col" class="ons-table__header ons-table__header--numeric">"Memory (GB)"</th>
                                <th scope="col" class="ons-table__header">"Accelerators"</th>
                                <th scope="col" class="ons-table__header">"Free now"</th>
                                <th scope="col" class="ons-table__header">"Status"</th>
                            </tr></thead>
                            <tbody class="ons-table__body">
                                {inv.hosts.iter().map(|h| view! {
                                    <tr class="ons-table__row">
                                        <th scope="row" class="ons-table__cell"><a href=format!("/operations/inventory/hosts/{}", h.id)>{h.name.clone()}</a></th>
                                        <td class="ons-table__cell">{h.site.clone()}</td>
                                        <td class="ons-table__cell ons-table__cell--numeric">{h.cores}</td>
                                        <td class="ons-table__cell ons-table__cell--numeric">{h.ram_gb}</td>
                                        <td class="ons-table__cell ons-u-fs-s">{if h.devices.is_empty() { "None".to_owned() } else { h.devices.iter().map(|d| d.text.clone()).collect::<Vec<_>>().join("; ") }}</td>
                                        <td class="ons-table__cell">{h.free.clone()}</td>
                                        <td class="ons-table__cell">{status(h)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        <h2 class="ons-u-mt-xl">"Add a host"</h2>
                        <form method="post" action="/operations/inventory/hosts" novalidate>
                            {host_fields(&form, own_sites)}
                            <div class="ons-u-mt-l"><Button text="Add host"/></div>
                        </form>
                    }
                })
            })}
        </Suspense>
    }
}

/// One host: its details, its devices, and the forms to change, drain or retire them.
#[component]
pub fn InventoryHostPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok());
    let data = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_inventory_host(id).await,
            None => Err(crate::error::AppError::NotFound("host".into())),
        }
    });
    let posted = Resource::new(|| (), |_| take_form("host".into()));
    let device_form = Resource::new(|| (), |_| take_form("device-new".into()));
    view! {
        <Notice/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let posted = posted.await.unwrap_or_default();
                let device_form = device_form.await.unwrap_or_default();
                or_error_page(data.await, move |(h, sites)| {
                    let form = if posted.values.is_empty() {
                        FormState {
                            values: BTreeMap::from([
                                ("site".to_owned(), h.site.clone()),
                                ("name".to_owned(), h.name.clone()),
                                ("cores".to_owned(), h.cores.to_string()),
                                ("mhz_per_core".to_owned(), h.mhz_per_core.to_string()),
                                ("ram_gb".to_owned(), h.ram_gb.to_string()),
                                ("storage_gb".to_owned(), h.storage_gb.to_string()),
                            ]),
                            errors: posted.errors.clone(),
                        }
                    } else {
                        posted.clone()
                    };
                    let kind = {
                        let v = device_form.value("kind");
                        if v.is_empty() { "gpu".to_owned() } else { v }
                    };
                    let base = format!("/operations/inventory/hosts/{}", h.id);
                    let (host_id, from_engine, drained) = (h.id, h.from_engine, h.drained);
                    let size = format!("{} cores at {} MHz, {} GB memory, {} GB storage", h.cores, h.mhz_per_core, h.ram_gb, h.storage_gb);
                    let state = status(&h);
                    let devices = h.devices.clone();
                    view! {
                        <Title text=format!("Host {}", h.name)/>
                        <ErrorSummary errors=form.errors.clone()/>
                        <ErrorSummary errors=device_form.errors.clone()/>
                        {breadcrumbs(true)}
                        <h1 class="ons-u-fs-2xl">"Host "{h.name.clone()}</h1>
                        <DescriptionList>
                            <DescriptionRow term="Data centre">{h.site.clone()}</DescriptionRow>
                            <DescriptionRow term="Size">{size}</DescriptionRow>
                            <DescriptionRow term="Free now">{h.free.clone()}</DescriptionRow>
                            <DescriptionRow term="Status">{state}</DescriptionRow>
                        </DescriptionList>
                        <section id="host" class="ons-u-mt-l" aria-labelledby="host-actions">
                            <h2 id="host-actions">"Take work or not"</h2>
                            {if drained {
                                view! {
                                    <p>"Drained: what runs here carries on, nothing new is placed or booked here."</p>
                                    <form method="post" action=format!("{base}/return")><Button text="Return to service" secondary=true/></form>
                                }.into_any()
                            } else {
                                view! {
                                    <p>"Drain it before maintenance or retirement: what runs here carries on, nothing new is placed or booked here."</p>
                                    <form method="post" action=format!("{base}/drain")><Button text="Drain" secondary=true/></form>
                                }.into_any()
                            }}
                            {(!from_engine).then(|| view! {
                                <p class="ons-u-mt-m">"Retire it once it is drained, nothing runs on it and no booking holds its accelerators from now on. It stays in the records that name it."</p>
                                <form method="post" action=format!("{base}/retire")><Button text="Retire host" secondary=true/></form>
                            })}
                        </section>
                        {if from_engine {
                            view! { <p class="ons-u-mt-l">"This host comes from the Slurm cluster and is kept in step with it: change its size and devices in Slurm."</p> }.into_any()
                        } else {
                            view! {
                                <h2 class="ons-u-mt-xl">"Change it"</h2>
                                <form method="post" action=base.clone() novalidate>
                                    {host_fields(&form, sites.clone())}
                                    <div class="ons-u-mt-l"><Button text="Save host"/></div>
                                </form>
                            }.into_any()
                        }}
                        <h2 id="device" class="ons-u-mt-xl">"GPUs and TPUs"</h2>
                        {if devices.is_empty() {
                            view! { <p>"None recorded."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="ons-list ons-list--bare">
                                    {devices.iter().map(|d| view! {
                                        <li class="ons-list__item">
                                            <form method="post" action=format!("/operations/inventory/devices/{}/retire", d.id)>
                                                {d.text.clone()}" "
                                                <input type="hidden" name="host" value=host_id.to_string()/>
                                                {(!from_engine).then(|| view! { <Button text="Retire" secondary=true small=true aria_label=format!("Retire {}", d.text.split(':').next().unwrap_or("device"))/> })}
                                            </form>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                        {(!from_engine).then(|| view! {
                            <h3 class="ons-u-mt-l">"Add a device"</h3>
                            <form method="post" action=format!("{base}/devices") novalidate>
                                <fieldset class="ons-fieldset" id="kind">
                                    <legend class="ons-fieldset__legend">"Kind"</legend>
                                    {device_form.error("kind").map(|m| view! { <p class="ons-panel__error"><strong>{m}</strong></p> })}
                                    <RadioItems name="kind" checked=kind.clone() options=options(&[("gpu", "GPU"), ("tpu", "TPU")])/>
                                </fieldset>
                                <Input id="model" label="Model" hint="What people book, like NVIDIA A100 80GB or TPU v4." form=device_form.clone() width=30/>
                                <Input id="memory_gb" label="Its memory (GB)" form=device_form.clone() width=5/>
                                <div class="ons-u-mt-l"><Button text="Add device"/></div>
                            </form>
                        })}
                    }
                })
            })}
        </Suspense>
    }
}
