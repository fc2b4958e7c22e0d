//! Output checks: the form a project asks for one with, the checkers' queue, and a check's
//! record with the checkers' decision form.

use crate::api::{
    get_output_check, get_output_check_form, list_output_checks, take_form, AskCheckView,
    OutputCheckRow, OutputCheckView,
};
use crate::components::layout::{or_error_page, Notice};
use crate::components::ons::{
    options, tone, Button, DescriptionList, DescriptionRow, ErrorSummary, FieldError, Input,
    RadioItems, Select, StatusTag,
};
use crate::forms::FormState;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

fn param_id() -> impl Fn() -> Option<i64> + Copy + Send + Sync + 'static {
    let params = use_params_map();
    move || params.read().get("id").and_then(|s| s.parse::<i64>().ok())
}

/// A table of checks; `queue` adds when each is due, for checkers.
pub(crate) fn checks_table(
    caption: &'static str,
    rows: Vec<OutputCheckRow>,
    queue: bool,
) -> AnyView {
    view! {
        <table class="ons-table">
            <caption class="ons-table__caption ons-u-vh">{caption}</caption>
            <thead class="ons-table__head"><tr class="ons-table__row">
                <th scope="col" class="ons-table__header">"Check"</th>
                <th scope="col" class="ons-table__header">"Project"</th>
                <th scope="col" class="ons-table__header">"Asked by"</th>
                <th scope="col" class="ons-table__header">"Asked"</th>
                <th scope="col" class="ons-table__header">"Status"</th>
                {queue.then(|| view! { <th scope="col" class="ons-table__header">"Due"</th> })}
            </tr></thead>
            <tbody class="ons-table__body">
                {rows.into_iter().map(|r| view! {
                    <tr class="ons-table__row">
                        <td class="ons-table__cell"><a href=format!("/output-checks/{}", r.id)>{format!("Check {} of cp-{}", r.id, r.request_id)}</a></td>
                        <td class="ons-table__cell">{r.project}</td>
                        <td class="ons-table__cell">{r.requester}</td>
                        <td class="ons-table__cell">{r.asked}</td>
                        <td class="ons-table__cell"><StatusTag text=r.state_label variant=tone(&r.tone)/></td>
                        {queue.then(|| view! {
                            <td class="ons-table__cell">{r.due}{r.overdue.then_some(" (overdue)")}</td>
                        })}
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// Output checkers' queue: every check waiting for a decision, oldest first.
#[component]
pub fn OutputChecksPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| list_output_checks());
    view! {
        <Title text="Output checks"/>
        <Notice/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                or_error_page(data.await, |rows| view! {
                    <h1 class="ons-u-fs-2xl">"Output checks"</h1>
                    <p>"Web services asking to go public. Each needs two output checkers from outside its project to approve the same frozen snapshot; you cannot decide on a project you are part of."</p>
                    {if rows.is_empty() {
                        view! { <p>"Nothing is waiting for a check."</p> }.into_any()
                    } else {
                        checks_table("Output checks waiting for a decision", rows, true)
                    }}
                })
            })}
        </Suspense>
    }
}

/// One check: what was asked, the snapshot's files, every decision, and the forms the reader
/// may use (decide, withdraw).
#[component]
pub fn OutputCheckPage() -> impl IntoView {
    let id = param_id();
    let data = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_output_check(id).await,
            None => Err(crate::error::AppError::NotFound("output check".into())),
        }
    });
    let form = Resource::new(|| (), |_| take_form("output-check".into()));
    view! {
        <Notice/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let form = form.await.unwrap_or_default();
                or_error_page(data.await, move |c| check_view(c, form))
            })}
        </Suspense>
    }
}

fn check_view(c: OutputCheckView, form: FormState) -> impl IntoView {
    let id = c.row.id;
    let title = format!("Output check {id}: {} (cp-{})", c.service, c.row.request_id);
    let decide = c.may_decide.then(|| decision_form(id, &c, form.clone()));
    let size = format!("{} in {} files", c.size, c.files.len());
    let files = c.files.clone();
    view! {
        <Title text=title.clone()/>
        <ErrorSummary errors=form.errors.clone()/>
        <nav class="ons-breadcrumbs" aria-label="Breadcrumbs">
            <ol class="ons-breadcrumbs__items ons-u-fs-s">
                <li class="ons-breadcrumbs__item"><a class="ons-breadcrumbs__link" href=format!("/projects/{}", c.project_id)>{c.row.project.clone()}</a></li>
                <li class="ons-breadcrumbs__item"><a class="ons-breadcrumbs__link" href=format!("/requests/{}", c.row.request_id)>{format!("{} (cp-{})", c.service, c.row.request_id)}</a></li>
            </ol>
        </nav>
        <h1 class="ons-u-fs-2xl">{title}</h1>
        <p id="check-status">"Status: "<StatusTag text=c.row.state_label.clone() variant=tone(&c.row.tone)/></p>
        {(!c.reason.is_empty()).then(|| view! {
            <div class="ons-panel ons-panel--info ons-panel--no-title">
                <span class="ons-panel__assistive-text ons-u-vh">"Important information: "</span>
                <div class="ons-panel__body"><p>"Reason: "{c.reason.clone()}</p></div>
            </div>
        })}
        <DescriptionList>
            <DescriptionRow term="Project">{c.row.project.clone()}</DescriptionRow>
            <DescriptionRow term="Asked by">{c.row.requester.clone()}</DescriptionRow>
            <DescriptionRow term="Asked">{c.row.asked.clone()}</DescriptionRow>
            <DescriptionRow term="Round">{c.row.round}</DescriptionRow>
            <DescriptionRow term="Snapshot submitted">{c.submitted.clone()}</DescriptionRow>
            <DescriptionRow term="Snapshot digest (SHA-256)"><code class="app-digest">{c.digest.clone()}</code></DescriptionRow>
            <DescriptionRow term="Snapshot size">{size}</DescriptionRow>
            {(!c.row.due.is_empty()).then(|| view! {
                <DescriptionRow term="Checkers due by">{c.row.due.clone()}{c.row.overdue.then_some(" (overdue)")}</DescriptionRow>
            })}
        </DescriptionList>
        {c.may_resubmit.then(|| view! {
            <p><a href=format!("/requests/{}/output-check", c.row.request_id)>"Change the service's files, then send a new snapshot"</a></p>
        })}
        <h2 class="ons-u-mt-l">"Outputs"</h2>
        {c.outputs.iter().cloned().map(|o| view! {
            <h3 class="ons-u-fs-m">{format!("Output {}: {}", o.number, o.name)}</h3>
            <p class="ons-u-mb-xs">{o.kind}</p>
            <p class="app-prewrap">{o.shows}</p>
            <table class="ons-table ons-u-mb-l">
                <caption class="ons-table__caption ons-u-vh">{format!("Checklist answers for output {}", o.number)}</caption>
                <thead class="ons-table__head"><tr class="ons-table__row">
                    <th scope="col" class="ons-table__header">"Statement"</th>
                    <th scope="col" class="ons-table__header">"Answer"</th>
                    <th scope="col" class="ons-table__header">"Why"</th>
                </tr></thead>
                <tbody class="ons-table__body">
                    {o.answers.into_iter().map(|a| view! {
                        <tr class="ons-table__row">
                            <td class="ons-table__cell">{a.statement}</td>
                            <td class="ons-table__cell">{a.answer}</td>
                            <td class="ons-table__cell">{a.why}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        }).collect_view()}
        {decide}
        {c.may_withdraw.then(|| view! {
            <form method="post" action=format!("/output-checks/{id}/withdraw") class="ons-u-mt-l">
                <Button text="Withdraw this check" secondary=true/>
            </form>
        })}
        <h2 class="ons-u-mt-l">"Decisions"</h2>
        {if c.decisions.is_empty() {
            view! { <p>"No checker has decided yet."</p> }.into_any()
        } else {
            view! {
                <ol class="ons-list" id="decisions">
                    {c.decisions.iter().cloned().map(|d| view! {
                        <li class="ons-list__item">
                            <strong>{d.verdict}</strong>{format!(" (round {}) by {}, {}", d.round, d.checker, d.at)}
                            {(!d.reason.is_empty()).then(|| view! { <br/><span class="app-prewrap">{d.reason}</span> })}
                            {(!d.comments.is_empty()).then(|| view! {
                                <ul class="ons-list">
                                    {d.comments.into_iter().map(|(n, t)| view! {
                                        <li class="ons-list__item">{format!("Output {n}: ")}<span class="app-prewrap">{t}</span></li>
                                    }).collect_view()}
                                </ul>
                            })}
                        </li>
                    }).collect_view()}
                </ol>
            }.into_any()
        }}
        <h2 class="ons-u-mt-l">"Files in the snapshot"</h2>
        <table class="ons-table">
            <caption class="ons-table__caption ons-u-vh">"Files in the snapshot, with their SHA-256"</caption>
            <thead class="ons-table__head"><tr class="ons-table__row">
                <th scope="col" class="ons-table__header">"File"</th>
                <th scope="col" class="ons-table__header">"Size"</th>
                <th scope="col" class="ons-table__header">"SHA-256"</th>
            </tr></thead>
            <tbody class="ons-table__body">
                {files.into_iter().map(|f| view! {
                    <tr class="ons-table__row">
                        <td class="ons-table__cell">{f.path}</td>
                        <td class="ons-table__cell">{f.size}</td>
                        <td class="ons-table__cell"><code class="app-digest">{f.sha256}</code></td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        {(!c.earlier.is_empty()).then(|| view! {
            <h2 class="ons-u-mt-l">"Earlier snapshots"</h2>
            <ul class="ons-list">
                {c.earlier.iter().cloned().map(|(round, digest, at)| view! {
                    <li class="ons-list__item">{format!("Round {round}, {at}: ")}<code class="app-digest">{digest}</code></li>
                }).collect_view()}
            </ul>
        })}
    }
}

fn decision_form(id: i64, c: &OutputCheckView, form: FormState) -> impl IntoView {
    let comments_error = form.error("comments");
    let decision_error = form.error("decision");
    let chosen = form.value("decision");
    let comment_fields = c
        .outputs
        .iter()
        .map(|o| {
            view! {
                <Input id=format!("comment-{}", o.number) label=format!("Output {}: {}", o.number, o.name) form=form.clone() textarea=true/>
            }
        })
        .collect_view();
    view! {
        <h2 class="ons-u-mt-l">"Your decision"</h2>
        <form method="post" action=format!("/output-checks/{id}/decision") novalidate>
            <FieldError id="decision".to_owned() error=decision_error>
                <fieldset class="ons-fieldset" id="decision">
                    <legend class="ons-fieldset__legend">"Is this snapshot safe to release?"</legend>
                    <RadioItems name="decision" checked=chosen
                        options=options(&[("approve", "Approve it for release"), ("request_changes", "Ask for changes"), ("reject", "Reject it")])/>
                </fieldset>
            </FieldError>
            <FieldError id="comments".to_owned() error=comments_error>
                <div id="comments">
                    <p class="ons-u-mb-xs">"To ask for changes, say what should change for at least one output."</p>
                    {comment_fields}
                </div>
            </FieldError>
            <Input id="reason" label="Reason for rejecting" hint="Required to reject; the project reads it." form=form.clone() textarea=true/>
            <div class="ons-u-mt-m"><Button text="Record decision"/></div>
        </form>
    }
}

/// The form a project asks for a web service's check with: its outputs described against the
/// checklist. Without JavaScript, "Add another output" posts what is typed and comes back with
/// one more output's fields.
#[component]
pub fn AskOutputCheckPage() -> impl IntoView {
    let id = param_id();
    let data = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_output_check_form(id).await,
            None => Err(crate::error::AppError::NotFound("request".into())),
        }
    });
    let form = Resource::new(|| (), |_| take_form("ask-output-check".into()));
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let form = form.await.unwrap_or_default();
                or_error_page(data.await, move |a| ask_view(a, form))
            })}
        </Suspense>
    }
}

fn ask_view(a: AskCheckView, form: FormState) -> impl IntoView {
    // A form coming back keeps what was typed; a new snapshot for a check starts from what its
    // last round said.
    let mut form = form;
    let returned = !form.values.is_empty();
    if !returned {
        form.values = a.previous.clone();
    }
    let count = form
        .value("count")
        .parse::<usize>()
        .ok()
        .unwrap_or(a.previous_count)
        .clamp(1, 20);
    let title = match a.resubmitting {
        Some(_) => format!("Send a new snapshot of {} (cp-{})", a.service, a.request_id),
        None => format!(
            "Ask for an output check of {} (cp-{})",
            a.service, a.request_id
        ),
    };
    let kinds = a.kinds.clone();
    let items = a.items.clone();
    view! {
        <Title text=title.clone()/>
        <ErrorSummary errors=form.errors.clone()/>
        <nav class="ons-breadcrumbs" aria-label="Breadcrumbs">
            <ol class="ons-breadcrumbs__items ons-u-fs-s">
                <li class="ons-breadcrumbs__item"><a class="ons-breadcrumbs__link" href=format!("/projects/{}", a.project_id)>{a.project.clone()}</a></li>
                <li class="ons-breadcrumbs__item"><a class="ons-breadcrumbs__link" href=format!("/requests/{}", a.request_id)>{format!("{} (cp-{})", a.service, a.request_id)}</a></li>
            </ol>
        </nav>
        <h1 class="ons-u-fs-2xl">{title}</h1>
        <p>"When you send this, the portal copies the service's files as they are now. Two output checkers from outside your project look at that copy; if both approve, the service is public and serves exactly that copy. Changing the files afterwards takes it back to your project until a new check passes."</p>
        <p>"Describe each output the service shows: a table, chart, model, code or report. Answer every statement that applies to its kind; for anything but yes, say why it is still safe to release."</p>
        {(!a.comments.is_empty()).then(|| view! {
            <div class="ons-panel ons-panel--info ons-panel--no-title">
                <span class="ons-panel__assistive-text ons-u-vh">"Important information: "</span>
                <div class="ons-panel__body">
                    <p>"The checkers asked for these changes:"</p>
                    <ul class="ons-list">
                        {a.comments.iter().cloned().map(|(n, who, text)| view! {
                            <li class="ons-list__item">{format!("Output {n} ({who}): ")}<span class="app-prewrap">{text}</span></li>
                        }).collect_view()}
                    </ul>
                </div>
            </div>
        })}
        <form method="post" action=format!("/requests/{}/output-checks", a.request_id) novalidate>
            <input type="hidden" name="count" value=count.to_string()/>
            {(0..count).map(|i| output_fields(i, &kinds, &items, &form)).collect::<Vec<_>>()}
            <div class="ons-u-mt-m app-actions">
                <Button text="Add another output" secondary=true name="action" value="add"/>
                <Button text="Freeze the files and ask for a check" name="action" value="submit"/>
            </div>
        </form>
    }
}

fn output_fields(
    i: usize,
    kinds: &[(String, String)],
    items: &[crate::api::ChecklistItemView],
    form: &FormState,
) -> AnyView {
    let at = |field: &str| format!("outputs.{i}.{field}");
    let answers = items
        .iter()
        .map(|it| {
            let key = at(&it.key);
            let why = format!("{key}.why");
            let (error, checked) = (form.error(&key), form.value(&key));
            let (statement, applies_to) = (it.statement.clone(), format!("For {}", it.applies_to));
            let form = form.clone();
            view! {
                <FieldError id=key.clone() error=error>
                    <fieldset class="ons-fieldset ons-u-mb-m" id=key.clone()>
                        <legend class="ons-fieldset__legend">{statement}<span class="ons-fieldset__description">{applies_to}</span></legend>
                        <RadioItems name=key.clone() checked=checked
                            options=options(&[("yes", "Yes"), ("no", "No"), ("not_applicable", "Does not apply")])/>
                        <Input id=why label="If not yes: why it is still safe" form=form/>
                    </fieldset>
                </FieldError>
            }
        })
        .collect_view();
    view! {
        <fieldset class="ons-fieldset ons-u-mb-l" id=format!("outputs.{i}")>
            <legend class="ons-fieldset__legend ons-u-fs-l">{format!("Output {}", i + 1)}</legend>
            <Input id=at("name") label="Name" hint="The file in the service's folder, or the page it is on" form=form.clone()/>
            <Select id=at("kind") label="What it is" form=form.clone() options=kinds.to_vec() prompt="Choose one"/>
            <Input id=at("shows") label="What it shows" hint="The population, the period and the measures, as a reader would describe it" form=form.clone() textarea=true/>
            <h3 class="ons-u-fs-m ons-u-mt-m">"Disclosure-control checklist"</h3>
            <p class="ons-u-fs-s">"Answer the statements for this output's kind; answers to statements for other kinds are not kept."</p>
            {answers}
        </fieldset>
    }
    .into_any()
}
