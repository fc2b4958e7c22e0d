use crate::api::{get_account, get_password_page, take_form};
use crate::components::layout::{or_error_page, Notice};
use crate::components::ons::{
    Button, Checkbox, DescriptionList, DescriptionRow, ErrorSummary, FieldError, Input, Panel,
};
use leptos::prelude::*;
use leptos_meta::Title;

/// My account: who I am, where I am signed in, and my API tokens.
#[component]
pub fn AccountPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| get_account());
    let form = Resource::new(|| (), |_| take_form("new-token".into()));
    view! {
        <Title text="My account"/>
        <Notice/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let form = form.await.unwrap_or_default();
                or_error_page(data.await, move |a| view! {
                    <ErrorSummary errors=form.errors.clone()/>
                    <h1 class="ons-u-fs-2xl">"My account"</h1>
                    <DescriptionList>
                        <DescriptionRow term="Name">{a.display_name.clone()}</DescriptionRow>
                        <DescriptionRow term="User name"><code>{a.username.clone()}</code></DescriptionRow>
                        <DescriptionRow term="Email">{a.email.clone()}</DescriptionRow>
                        <DescriptionRow term="Roles">{if a.roles.is_empty() { "None yet: ask an administrator".to_owned() } else { a.roles.join(", ") }}</DescriptionRow>
                        <DescriptionRow term="Signs in with">{a.signs_in_with.clone()}</DescriptionRow>
                    </DescriptionList>
                    {a.local.then(|| view! { <p><a href="/account/password">"Change your password"</a></p> })}

                    <h2>"Where you are signed in"</h2>
                    <table class="ons-table">
                        <caption class="ons-table__caption ons-u-vh">"Your sessions"</caption>
                        <thead class="ons-table__head"><tr class="ons-table__row">
                            <th scope="col" class="ons-table__header">"Browser"</th>
                            <th scope="col" class="ons-table__header">"Signed in"</th>
                            <th scope="col" class="ons-table__header">"Ends if unused"</th>
                        </tr></thead>
                        <tbody class="ons-table__body">
                            {a.sessions.iter().map(|s| view! {
                                <tr class="ons-table__row">
                                    <td class="ons-table__cell">{s.device.clone()}{s.this_device.then_some(" (this browser)")}</td>
                                    <td class="ons-table__cell">{s.signed_in.clone()}</td>
                                    <td class="ons-table__cell">{s.expires.clone()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    <p class="ons-u-mt-m">"Signing out everywhere also revokes every API token you made and stops your calendar address."</p>
                    <form method="post" action="/account/sign-out-everywhere" class="ons-u-mt-s">
                        <Button text="Sign out everywhere" secondary=true/>
                    </form>

                    <h2 class="ons-u-mt-2xl" id="calendar">"Calendar of your bookings"</h2>
                    <p>"A private address your calendar program can subscribe to: it shows the accelerator bookings of every project you belong to. Anyone with the address can read it, so keep it to yourself; stop it or make a new one at any time."</p>
                    {a.new_calendar.clone().map(|address| view! {
                        <Panel success=true>
                            <p>"Your calendar address is below. Copy it into your calendar program now: it will not be shown again."</p>
                            <p><code id="new-calendar" class="app-token">{address}</code></p>
                        </Panel>
                    })}
                    {a.calendar_made.clone().map(|made| view! { <p>{format!("You have a calendar address, made {made}.")}</p> })}
                    <form method="post" action="/account/calendar" class="ons-u-mt-s">
                        <Button text=if a.calendar_made.is_some() { "Make a new calendar address" } else { "Make a calendar address" } secondary=true/>
                    </form>
                    {a.calendar_made.is_some().then(|| view! {
                        <form method="post" action="/account/calendar/stop" class="ons-u-mt-s">
                            <Button text="Stop the calendar address" secondary=true/>
                        </form>
                    })}

                    <h2 class="ons-u-mt-2xl">"API tokens"</h2>
                    <p>"Tokens let your scripts use the "<a href="/api/v1/openapi.json" rel="external">"JSON API"</a>" as you. Keep them secret."</p>
                    {a.new_token.clone().map(|t| view! {
                        <Panel success=true>
                            <p>"Your new token is below. Copy it now: it will not be shown again."</p>
                            <p><code id="new-token" class="app-token">{t}</code></p>
                        </Panel>
                    })}
                    {(!a.tokens.is_empty()).then(|| view! {
                        <table class="ons-table">
                            <caption class="ons-table__caption ons-u-vh">"Your API tokens"</caption>
                            <thead class="ons-table__head"><tr class="ons-table__row">
                                <th scope="col" class="ons-table__header">"Name"</th>
                                <th scope="col" class="ons-table__header">"Scopes"</th>
                                <th scope="col" class="ons-table__header">"Created"</th>
                                <th scope="col" class="ons-table__header">"Ends"</th>
                                <th scope="col" class="ons-table__header">"Last used"</th>
                                <th scope="col" class="ons-table__header"><span class="ons-u-vh">"Actions"</span></th>
                            </tr></thead>
                            <tbody class="ons-table__body">
                                {a.tokens.iter().map(|t| view! {
                                    <tr class="ons-table__row">
                                        <td class="ons-table__cell">{t.name.clone()}</td>
                                        <td class="ons-table__cell">{t.scopes.clone()}</td>
                                        <td class="ons-table__cell">{t.created.clone()}</td>
                                        <td class="ons-table__cell">{t.expires.clone()}</td>
                                        <td class="ons-table__cell">{t.last_used.clone()}</td>
                                        <td class="ons-table__cell">
                                            {if t.revoked {
                                                view! { "Revoked" }.into_any()
                                            } else if t.expired {
                                                view! { "Ended" }.into_any()
                                            } else {
                                                view! {
                                                    <form method="post" action=format!("/account/tokens/{}/revoke", t.id)>
                                                        <Button text="Revoke" secondary=true small=true aria_label=format!("Revoke token {}", t.name)/>
                                                    </form>
                                                }.into_any()
                                            }}
                                        </td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    })}
                    <form method="post" action="/account/tokens" novalidate class="ons-u-mt-l">
                        <Input id="name" label="Token name" hint="So you can tell your tokens apart, for example laptop scripts" form=form.clone() width=20/>
                        <Input id="days" label="Days until it ends" hint=a.token_days_hint.clone() form=form.clone() width=4/>
                        <FieldError id="scopes".to_owned() error=form.error("scopes")>
                        <fieldset class="ons-fieldset ons-u-mt-m" id="scopes">
                            <legend class="ons-fieldset__legend">"What it may do"</legend>
                            <p class="ons-u-fs-s">"Every token can read what you can see. Tick what else it needs, and no more."</p>
                            <div class="ons-checkboxes__items">
                                {a.scope_choices.clone().into_iter().map(|(value, label)| {
                                    let checked = form.value("scopes").split(' ').any(|v| v == value);
                                    view! { <Checkbox name="scopes" value=value label=label checked=checked/> }
                                }).collect_view()}
                            </div>
                        </fieldset>
                        </FieldError>
                        <div class="ons-u-mt-m"><Button text="Create token"/></div>
                    </form>
                })
            })}
        </Suspense>
    }
}

/// Change my password (local accounts). The first-start administrator is held here until they
/// choose their own.
#[component]
pub fn PasswordPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| get_password_page());
    let form = Resource::new(|| (), |_| take_form("password".into()));
    view! {
        <Title text="Change your password"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let form = form.await.unwrap_or_default();
                or_error_page(data.await, move |p| view! {
                    <ErrorSummary errors=form.errors.clone()/>
                    <h1 class="ons-u-fs-2xl">"Change your password"</h1>
                    {p.forced.then(|| view! {
                        <Panel>
                            <p>"You signed in with a one-time password, which was shown where others may see it. Choose your own before you go on."</p>
                        </Panel>
                    })}
                    {if p.local {
                        view! {
                            <form method="post" action="/account/password" novalidate class="ons-u-mt-l">
                                <Input id="current_password" label="Current password" form=form.clone() kind="password" autocomplete="current-password" width=20/>
                                <Input id="new_password" label="New password" hint="12 characters or more" form=form.clone() kind="password" autocomplete="new-password" width=20/>
                                <Input id="confirm_password" label="New password again" form=form.clone() kind="password" autocomplete="new-password" width=20/>
                                <p class="ons-u-mt-m">"Your other sessions will be signed out."</p>
                                <div class="ons-u-mt-m"><Button text="Change password"/></div>
                            </form>
                        }.into_any()
                    } else {
                        view! { <p>"You sign in with your organisation account: change its password with your organisation."</p> }.into_any()
                    }}
                })
            })}
        </Suspense>
    }
}
