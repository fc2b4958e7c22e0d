use crate::api::{
    get_project, get_project_quota, list_project_resources, list_projects, may_create_project,
    take_form,
};
use crate::components::layout::{or_error_page, Notice};
use crate::components::ons::{
    Button, DescriptionList, DescriptionRow, ErrorSummary, Input, LinkButton,
};
use crate::components::paging::{use_after, NextPage};
use crate::pages::ProjectHoldings;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The projects the signed-in person can see.
#[component]
pub fn ProjectsPage() -> impl IntoView {
    let data = Resource::new(use_after(), list_projects);
    view! {
        <Title text="Projects"/>
        <Notice/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                or_error_page(data.await, |list| view! {
                    <h1 class="ons-u-fs-2xl">"Projects"</h1>
                    {list.can_create.then(|| view! { <LinkButton text="Start a project" href="/projects/new".into()/> })}
                    {if list.projects.is_empty() {
                        view! { <p class="ons-u-mt-l">"There are no projects you can see yet."</p> }.into_any()
                    } else {
                        view! {
                            <table class="ons-table ons-u-mt-l">
                                <caption class="ons-table__caption ons-u-vh">"Projects you can see"</caption>
                                <thead class="ons-table__head"><tr class="ons-table__row">
                                    <th scope="col" class="ons-table__header">"Project"</th>
                                    <th scope="col" class="ons-table__header">"Lead"</th>
                                    <th scope="col" class="ons-table__header">"Members"</th>
                                    <th scope="col" class="ons-table__header">"Ends"</th>
                                </tr></thead>
                                <tbody class="ons-table__body">
                                    {list.projects.into_iter().map(|p| view! {
                                        <tr class="ons-table__row">
                                            <td class="ons-table__cell">
                                                <a href=format!("/projects/{}", p.id)>{p.name}</a>
                                                <p class="ons-u-fs-s ons-u-mb-no">{p.summary}</p>
                                                {p.training_session.map(|s| view! {
                                                    <p class="ons-u-fs-s ons-u-mb-no">
                                                        "Holds the sandboxes of "
                                                        <a href=format!("/training/sessions/{s}")>"a training session"</a>
                                                    </p>
                                                })}
                                            </td>
                                            <td class="ons-table__cell">{p.lead_name}</td>
                                            <td class="ons-table__cell">{p.member_count}</td>
                                            <td class="ons-table__cell">{p.end_date}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }}
                    <NextPage next=list.next href=|n| format!("/projects?after={n}") text="More projects"/>
                })
            })}
        </Suspense>
    }
}

/// The form to start a project.
#[component]
pub fn NewProjectPage() -> impl IntoView {
    let allowed = Resource::new(|| (), |_| may_create_project());
    let form = Resource::new(|| (), |_| take_form("new-project".into()));
    view! {
        <Title text="Start a project"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let allowed = allowed.await;
                let form = form.await.unwrap_or_default();
                or_error_page(allowed, move |_| view! {
                    <ErrorSummary errors=form.errors.clone()/>
                    <h1 class="ons-u-fs-2xl">"Start a project"</h1>
                    <p>"You will lead the project. You can add members once it exists."</p>
                    <form method="post" action="/projects" novalidate>
                        <Input id="name" label="Project name" form=form.clone() width=30/>
                        <Input id="summary" label="Summary" hint="What the project is for, in plain words. Others see this." form=form.clone() textarea=true/>
                        <Input id="end_date" label="End date" hint="For example, 2027-03-31. Resources for the project end then unless renewed." form=form.clone() width=10/>
                        <div class="ons-u-mt-l"><Button text="Start project"/></div>
                    </form>
                })
            })}
        </Suspense>
    }
}

/// One project: its details and members, and for its lead the forms to change members.
#[component]
pub fn ProjectPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok());
    let data = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_project(id).await,
            None => Err(crate::error::AppError::NotFound("project".into())),
        }
    });
    let quota = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_project_quota(id).await,
            None => Err(crate::error::AppError::NotFound("project".into())),
        }
    });
    let held = Resource::new(id, |id| async move {
        match id {
            Some(id) => list_project_resources(id).await,
            None => Err(crate::error::AppError::NotFound("project".into())),
        }
    });
    let form = Resource::new(|| (), |_| take_form("add-member".into()));
    view! {
        <Notice/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let form = form.await.unwrap_or_default();
                or_error_page(data.await, move |p| {
                    let manage = p.can_manage_members;
                    let pid = p.id;
                    view! {
                        <Title text=p.name.clone()/>
                            <ErrorSummary errors=form.errors.clone()/>
                        <nav class="ons-breadcrumbs" aria-label="Breadcrumbs">
                            <ol class="ons-breadcrumbs__items ons-u-fs-s">
                                <li class="ons-breadcrumbs__item"><a class="ons-breadcrumbs__link" href="/projects">"Projects"</a></li>
                            </ol>
                        </nav>
                        <h1 class="ons-u-fs-2xl">{p.name.clone()}</h1>
                        <p>{p.summary.clone()}</p>
                        <DescriptionList>
                            <DescriptionRow term="Lead">{p.lead_name.clone()}</DescriptionRow>
                            <DescriptionRow term="Ends">{p.end_date.clone()}</DescriptionRow>
                            <DescriptionRow term="Started">{p.created.clone()}</DescriptionRow>
                            {p.training_session.map(|s| view! {
                                <DescriptionRow term="Made for">
                                    <a href=format!("/training/sessions/{s}")>"A training session"</a>
                                    ", whose attendees' sandboxes it holds"
                                </DescriptionRow>
                            })}
                        </DescriptionList>
                        {manage.then(|| view! {
                            <p><a href=format!("/projects/{pid}/showcase")>"Public page"</a>": what visitors to the showcase read about this project"</p>
                        })}
                        <p><a href=format!("/projects/{pid}/accelerators")>"Accelerator time"</a>": the project's GPU and TPU bookings, and the hours it booked and used each week"</p>
                        <h2>"Members"</h2>
                        <table class="ons-table">
                            <caption class="ons-table__caption ons-u-vh">"Project members"</caption>
                            <thead class="ons-table__head"><tr class="ons-table__row">
                                <th scope="col" class="ons-table__header">"Name"</th>
                                <th scope="col" class="ons-table__header">"User name"</th>
                                <th scope="col" class="ons-table__header">"Role in project"</th>
                                {manage.then(|| view! { <th scope="col" class="ons-table__header"><span class="ons-u-vh">"Actions"</span></th> })}
                            </tr></thead>
                            <tbody class="ons-table__body">
                                {p.members.into_iter().map(|m| {
                                    let remove = (manage && !m.is_lead).then(|| {
                                        let label = format!("Remove {}", m.display_name);
                                        view! {
                                            <td class="ons-table__cell">
                                                <form method="post" action=format!("/projects/{pid}/members/{}/remove", m.user_id)>
                                                    <Button text="Remove" secondary=true small=true aria_label=label/>
                                                </form>
                                            </td>
                                        }
                                    });
                                    view! {
                                        <tr class="ons-table__row">
                                            <td class="ons-table__cell">{m.display_name}</td>
                                            <td class="ons-table__cell"><code>{m.username}</code></td>
                                            <td class="ons-table__cell">{if m.is_lead { "Lead" } else { "Member" }}</td>
                                            {remove}
                                            {(manage && m.is_lead).then(|| view! { <td class="ons-table__cell"></td> })}
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        {manage.then(|| view! {
                            <h2 class="ons-u-mt-xl">"Add a member"</h2>
                            <form method="post" action=format!("/projects/{pid}/members") novalidate>
                                <Input id="username" label="User name" hint="The person's Campus Portal user name, for example alice" form=form.clone() width=20/>
                                <div class="ons-u-mt-m"><Button text="Add member"/></div>
                            </form>
                        })}
                        <ProjectHoldings quota held/>
                    }
                })
            })}
        </Suspense>
    }
}
