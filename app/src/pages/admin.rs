use crate::api::{get_user_roles, list_users, take_form};
use crate::components::layout::{or_error_page, Notice};
use crate::components::ons::{Button, Checkbox, ErrorSummary, Input};
use crate::components::paging::{use_after, NextPage};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// Everyone with an account, and their roles.
#[component]
pub fn UsersPage() -> impl IntoView {
    let data = Resource::new(use_after(), list_users);
    view! {
        <Title text="Users and roles"/>
        <Notice/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                or_error_page(data.await, |page| view! {
                    <h1 class="ons-u-fs-2xl">"Users and roles"</h1>
                    <table class="ons-table">
                        <caption class="ons-table__caption ons-u-vh">"People with an account"</caption>
                        <thead class="ons-table__head"><tr class="ons-table__row">
                            <th scope="col" class="ons-table__header">"Name"</th>
                            <th scope="col" class="ons-table__header">"User name"</th>
                            <th scope="col" class="ons-table__header">"Roles"</th>
                            <th scope="col" class="ons-table__header">"Signs in with"</th>
                            <th scope="col" class="ons-table__header">"Last signed in"</th>
                        </tr></thead>
                        <tbody class="ons-table__body">
                            {page.users.into_iter().map(|u| view! {
                                <tr class="ons-table__row">
                                    <td class="ons-table__cell"><a href=format!("/admin/users/{}", u.id)>{u.display_name}</a></td>
                                    <td class="ons-table__cell"><code>{u.username}</code></td>
                                    <td class="ons-table__cell">{if u.roles.is_empty() { "None".to_owned() } else { u.roles.join(", ") }}</td>
                                    <td class="ons-table__cell">{u.signs_in_with}</td>
                                    <td class="ons-table__cell">{u.last_sign_in}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    <NextPage next=page.next href=|n| format!("/admin/users?after={n}") text="More people"/>
                })
            })}
        </Suspense>
    }
}

/// One person: the roles granted in the portal (administrators) and the Unix account their
/// workloads run as (operators and administrators).
#[component]
pub fn UserRolesPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok());
    let data = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_user_roles(id).await,
            None => Err(crate::error::AppError::NotFound("user".into())),
        }
    });
    let form = Resource::new(|| (), |_| take_form("roles".into()));
    let account_form = Resource::new(|| (), |_| take_form("unix_account".into()));
    view! {
        <Notice/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let form = form.await.unwrap_or_default();
                let account_form = account_form.await.unwrap_or_default();
                or_error_page(data.await, move |u| {
                    let mut account_form = account_form.clone();
                    if account_form.values.is_empty() {
                        account_form.values.insert("unix_account".into(), u.unix_account.clone());
                    }
                    let errors: Vec<(String, String)> =
                        form.errors.iter().chain(account_form.errors.iter()).cloned().collect();
                    let roles_view = (!u.choices.is_empty()).then(|| view! {
                    <h2 class="ons-u-fs-l">"Roles"</h2>
                    <form method="post" action=format!("/admin/users/{}/roles", u.id)>
                        <fieldset class="ons-fieldset" id="roles">
                            <legend class="ons-fieldset__legend">"Roles granted in the portal"</legend>
                            <div class="ons-checkboxes__items">
                                {u.choices.into_iter().map(|c| {
                                    let hint = c.from_idp.then(|| "Also held through the organisation's sign-in groups".to_owned());
                                    view! { <Checkbox name="roles" value=c.value label=c.label checked=c.granted hint=hint/> }
                                }).collect_view()}
                            </div>
                        </fieldset>
                        <div class="ons-u-mt-l"><Button text="Save roles"/></div>
                    </form>
                    });
                    view! {
                    <Title text=format!("{}: roles and Unix account", u.display_name)/>
                    <ErrorSummary errors=errors/>
                    <nav class="ons-breadcrumbs" aria-label="Breadcrumbs">
                        <ol class="ons-breadcrumbs__items ons-u-fs-s">
                            <li class="ons-breadcrumbs__item"><a class="ons-breadcrumbs__link" href="/admin/users">"Users and roles"</a></li>
                        </ol>
                    </nav>
                    <h1 class="ons-u-fs-2xl">{u.display_name.clone()}</h1>
                    <p>"User name: "<code>{u.username.clone()}</code></p>
                    {roles_view}
                    <h2 class="ons-u-fs-l ons-u-mt-l">"Unix account"</h2>
                    <p>"Their workspaces and web services run as this account. On the cluster they need one; on this machine, without one they get an account number of their own."</p>
                    <form method="post" action=format!("/admin/users/{}/unix-account", u.id)>
                        <Input id="unix_account" label="Unix account name" hint="Leave empty to remove the mapping" form=account_form width=20/>
                        <Button text="Save Unix account"/>
                    </form>
                }})
            })}
        </Suspense>
    }
}
