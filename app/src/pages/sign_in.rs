use crate::api::{get_portal_settings, take_form};
use crate::components::layout::Notice;
use crate::components::ons::{Button, ErrorSummary, Input, LinkButton};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Sign in with the organisation's identity provider, or with a local account.
#[component]
pub fn SignInPage() -> impl IntoView {
    let form = Resource::new(|| (), |_| take_form("sign-in".into()));
    let settings = Resource::new(|| (), |_| get_portal_settings());
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    view! {
        <Title text="Sign in"/>
        <Notice/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let form = form.await.unwrap_or_default();
                let settings = settings.await.unwrap_or_default();
                let next = next();
                let oidc_href = format!("/auth/oidc/start?next={}", encode(&next));
                view! {
                    <ErrorSummary errors=form.errors.clone()/>
                    <h1 class="ons-u-fs-2xl">"Sign in to Campus Portal"</h1>
                    {settings.oidc_enabled.then(|| view! {
                        <h2>"Statistics office staff"</h2>
                        <p>"Use your organisation account. You will come back here once you have signed in."</p>
                        <LinkButton text="Sign in with your organisation account" href=oidc_href external=true/>
                    })}
                    <h2 class="ons-u-mt-xl">"Partners and local accounts"</h2>
                    <form method="post" action="/auth/local/sign-in" novalidate>
                        <input type="hidden" name="next" value=next/>
                        <Input id="username" label="User name" form=form.clone() autocomplete="username" width=20/>
                        <Input id="password" label="Password" form=form.clone() kind="password" autocomplete="current-password" width=20/>
                        <div class="ons-u-mt-l"><Button text="Sign in"/></div>
                    </form>
                    {(!settings.demo_accounts.is_empty()).then(|| view! {
                        <h2 class="ons-u-mt-2xl">"Demo accounts"</h2>
                        <p>"This portal is running with demo content. Every demo account's password is "<code>"campus-demo-password"</code>"."</p>
                        <table class="ons-table">
                            <thead class="ons-table__head"><tr class="ons-table__row">
                                <th scope="col" class="ons-table__header">"User name"</th>
                                <th scope="col" class="ons-table__header">"Role"</th>
                            </tr></thead>
                            <tbody class="ons-table__body">
                                {settings.demo_accounts.iter().map(|(name, role)| view! {
                                    <tr class="ons-table__row"><td class="ons-table__cell"><code>{name.clone()}</code></td><td class="ons-table__cell">{role.clone()}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    })}
                }
            })}
        </Suspense>
    }
}

/// Percent-encodes a local path for use in a query string.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
