//! Data acquisitions: the applicant's task list and its sections, the ethics self-assessment,
//! reviewers' queue and review forms, and the public data-use register.

use crate::api::{
    get_acquisition, get_acquisition_ethics, get_acquisition_section, get_dataset, get_register,
    list_acquisitions, list_datasets, take_form, AcquisitionRow, AcquisitionView, AnswerGroup,
};
use crate::components::layout::{or_error_page, Notice};
use crate::components::ons::{tone, Button, ErrorSummary, Input, RadioItems, StatusTag};
use crate::components::paging::{use_after, NextPage};
use crate::error::AppError;
use crate::forms::{url_encode, FormState};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

fn id_param() -> impl Fn() -> Option<i64> + Copy + Send + Sync + 'static {
    let params = use_params_map();
    move || params.read().get("id").and_then(|s| s.parse::<i64>().ok())
}

fn breadcrumbs(more: Option<(String, String)>) -> impl IntoView {
    view! {
        <nav class="ons-breadcrumbs" aria-label="Breadcrumbs">
            <ol class="ons-breadcrumbs__items ons-u-fs-s">
                <li class="ons-breadcrumbs__item"><a class="ons-breadcrumbs__link" href="/acquisitions">"Data applications"</a></li>
                {more.map(|(href, text)| view! {
                    <li class="ons-breadcrumbs__item"><a class="ons-breadcrumbs__link" href=href>{text}</a></li>
                })}
            </ol>
        </nav>
    }
}

fn table(caption: &'static str, rows: Vec<AcquisitionRow>, show_due: bool) -> impl IntoView {
    view! {
        <table class="ons-table">
            <caption class="ons-table__caption ons-u-vh">{caption}</caption>
            <thead class="ons-table__head"><tr class="ons-table__row">
                <th scope="col" class="ons-table__header">"Application"</th>
                <th scope="col" class="ons-table__header">"Applicant"</th>
                <th scope="col" class="ons-table__header">"Status"</th>
                {show_due.then(|| view! { <th scope="col" class="ons-table__header">"Due"</th> })}
            </tr></thead>
            <tbody class="ons-table__body">
                {rows.into_iter().map(|r| {
                    let tone = tone(&r.tone);
                    view! {
                        <tr class="ons-table__row">
                            <td class="ons-table__cell"><a href=format!("/acquisitions/{}", r.id)>{r.title}</a></td>
                            <td class="ons-table__cell">{r.applicant}</td>
                            <td class="ons-table__cell"><StatusTag text=r.state variant=tone/></td>
                            {show_due.then(|| view! {
                                <td class="ons-table__cell">{r.due}{r.overdue.then_some(" (overdue)")}</td>
                            })}
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The applications the reader made or works on, the review queue for reviewers, and the form
/// to start one.
#[component]
pub fn AcquisitionsPage() -> impl IntoView {
    let data = Resource::new(use_after(), list_acquisitions);
    let form = Resource::new(|| (), |_| take_form("new-acquisition".into()));
    view! {
        <Title text="Data applications"/>
        <Notice/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let form = form.await.unwrap_or_default();
                or_error_page(data.await, move |l| view! {
                    <ErrorSummary errors=form.errors.clone()/>
                    <h1 class="ons-u-fs-2xl">"Data applications"</h1>
                    <p>"Data comes into the Campus network only after planned acquisition, data control and ethics review, and the network holds non-sensitive data only. Approved uses are published in the "<a href="/register">"data-use register"</a>"."</p>
                    {l.reviews.map(|rows| view! {
                        <h2>"Waiting for review"</h2>
                        {if rows.is_empty() {
                            view! { <p>"Nothing is waiting for review."</p> }.into_any()
                        } else {
                            table("Applications waiting for review", rows, true).into_any()
                        }}
                    })}
                    <h2>"Your applications"</h2>
                    {if l.mine.is_empty() {
                        view! { <p>"You have no applications."</p> }.into_any()
                    } else {
                        table("Your applications", l.mine, false).into_any()
                    }}
                    <NextPage next=l.mine_next href=|n| format!("/acquisitions?after={n}") text="Older applications"/>
                    {l.can_start.then(|| view! {
                        <h2>"Apply to bring data in"</h2>
                        <form method="post" action="/acquisitions" novalidate>
                            <Input id="title" label="Title of the work" hint="You can change it later" form=form.clone()/>
                            <div class="ons-u-mt-m"><Button text="Start an application"/></div>
                        </form>
                    })}
                })
            })}
        </Suspense>
    }
}

fn answers_list(groups: Vec<AnswerGroup>) -> impl IntoView {
    groups
        .into_iter()
        .map(|g| {
            view! {
                <h3 class="ons-u-fs-m">{g.title}</h3>
                <dl class="ons-description-list ons-description-list__items ons-grid ons-grid--gutterless ons-u-mb-m">
                    {g.rows.into_iter().map(|r| view! {
                        <div class="ons-description-list__item">
                            <dt class="ons-description-list__term ons-grid__col ons-col-4@m">{r.label}</dt>
                            <dd class="ons-description-list__value ons-grid__col ons-col-8@m app-prewrap">{if r.value.trim().is_empty() { "Not answered".to_owned() } else { r.value }}</dd>
                        </div>
                    }).collect_view()}
                </dl>
            }
        })
        .collect_view()
}

fn task_list(a: &AcquisitionView) -> impl IntoView {
    let ethics_href = format!("/acquisitions/{}/ethics", a.id);
    let tag = |done: bool, text: String| {
        if done {
            view! { <StatusTag text=text variant="success"/> }.into_any()
        } else {
            view! { <StatusTag text=text variant="info"/> }.into_any()
        }
    };
    view! {
        <ol class="app-task-list">
            {a.tasks.clone().into_iter().map(|t| view! {
                <li class="app-task-list__item">
                    <a href=t.href class="app-task-list__link">{t.title}</a>
                    {tag(t.done, t.progress)}
                    {(!t.comments.is_empty()).then(|| view! {
                        <div class="app-task-list__comments">
                            <p class="ons-u-fs-s ons-u-mb-no"><strong>"Reviewer asked: "</strong></p>
                            {t.comments.into_iter().map(|c| view! { <p class="ons-u-fs-s app-prewrap">{c}</p> }).collect_view()}
                        </div>
                    })}
                </li>
            }).collect_view()}
            <li class="app-task-list__item">
                <a href=ethics_href class="app-task-list__link">"Ethics self-assessment"</a>
                {tag(a.ethics_done, a.ethics_progress.clone())}
            </li>
        </ol>
    }
}

/// The review forms for the phase the application is in.
fn review_panel(a: &AcquisitionView, form: FormState) -> impl IntoView {
    let id = a.id;
    let assign = (!a.assigned).then(|| {
        view! {
            <form method="post" action=format!("/acquisitions/{id}/assign") class="ons-u-mb-m">
                <Button text="Assign this phase to me" secondary=true small=true/>
            </form>
        }
    });
    let phase_form = match a.state.as_str() {
        "data_control" => view! {
            <h3>"Legal gateway and classification"</h3>
            <p>"The applicant classified the work as "<strong>{a.applicant_class.clone()}</strong>". Both classifications must agree; anything sensitive is refused for the Campus network."</p>
            <form method="post" action=format!("/acquisitions/{id}/data-control") novalidate>
                <Input id="lawful_basis" label="Lawful basis" hint="For example: Statistics and Registration Service Act 2007, section 45" form=form.clone()/>
                <div class="ons-u-mt-m"><Input id="legislation" label="Legislation" form=form.clone()/></div>
                <div class="ons-u-mt-m"><Input id="agreement_ref" label="Agreement reference" hint="The data sharing or licence agreement" form=form.clone() width=20/></div>
                <fieldset class="ons-fieldset ons-u-mt-m" id="classification">
                    <legend class="ons-fieldset__legend">"Your classification of the work"</legend>
                    {form.error("classification").map(|e| view! { <p class="ons-panel__error"><strong>{e}</strong></p> })}
                    <div class="ons-radios__items">
                        <RadioItems name="classification" options=a.classification_options.clone() checked=form.value("classification")/>
                    </div>
                </fieldset>
                <div class="ons-u-mt-l"><Button text="Record data control"/></div>
            </form>
        }
        .into_any(),
        "ethics" | "referred" => {
            let referred = a.state == "referred";
            view! {
                <h3>"Ethics review"</h3>
                <p>"Route: "{a.route.clone()}"."</p>
                {(!referred).then(|| view! {
                    <form method="post" action=format!("/acquisitions/{id}/ethics-review") novalidate class="ons-u-mb-l">
                        <input type="hidden" name="step" value="refer"/>
                        <Input id="meeting_date" label="Refer to the national ethics committee meeting on" hint="YYYY-MM-DD, for example 2027-01-14" form=form.clone() width=10/>
                        <div class="ons-u-mt-m"><Button text="Refer to the committee" secondary=true/></div>
                    </form>
                })}
                <form method="post" action=format!("/acquisitions/{id}/ethics-review") novalidate>
                    <input type="hidden" name="step" value="clear"/>
                    <Input id="note" label=if referred { "The committee's view" } else { "The data ethics team's view" } hint="Optional: it goes into the decision path" form=form.clone() textarea=true/>
                    {form.error("ethics").map(|e| view! { <p class="ons-panel__error" id="ethics"><strong>{e}</strong></p> })}
                    <div class="ons-u-mt-m"><Button text=if referred { "Record the committee's clearance" } else { "Clear ethics review" }/></div>
                </form>
            }
            .into_any()
        }
        "final_decision" => view! {
            <h3>"Final decision"</h3>
            <p>"Approval needs two different reviewers, neither of them an applicant or collaborator. Deciding needs a sign-in within the last 15 minutes: "
               <a href=format!("/sign-in?next=/acquisitions/{id}")>"sign in again"</a>" if yours is older."</p>
            {(!a.approvals.is_empty()).then(|| view! {
                <p>"Approved so far by: "{a.approvals.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>().join(", ")}"."</p>
            })}
            <form method="post" action=format!("/acquisitions/{id}/decision") novalidate>
                <fieldset class="ons-fieldset" id="decision">
                    <legend class="ons-fieldset__legend">"Your decision"</legend>
                    {form.error("decision").map(|e| view! { <p class="ons-panel__error"><strong>{e}</strong></p> })}
                    <div class="ons-radios__items">
                        <RadioItems name="decision" options=crate::components::ons::options(&[("approve", "Approve"), ("reject", "Reject")]) checked=form.value("decision")/>
                    </div>
                </fieldset>
                <div class="ons-u-mt-m"><Input id="conditions" label="Conditions of approval" hint="One per line; they are shown to the applicant and carried onto the dataset" form=form.clone() textarea=true/></div>
                <div class="ons-u-mt-m"><Input id="reason" label="Reason for rejection" hint="Needed to reject" form=form.clone() textarea=true/></div>
                <div class="ons-u-mt-l"><Button text="Record decision"/></div>
            </form>
        }
        .into_any(),
        _ => ().into_any(),
    };
    let sections = a.sections.clone();
    view! {
        <section class="ons-u-mt-l" aria-labelledby="review-title">
            <h2 id="review-title">"Review: "{a.phase.clone()}</h2>
            {(!a.due.is_empty()).then(|| view! { <p>"Due by "{a.due.clone()}"."</p> })}
            {assign}
            {phase_form}
            <details class="ons-u-mt-l">
                <summary>"Send back for changes, or reject"</summary>
                <form method="post" action=format!("/acquisitions/{id}/changes") novalidate class="ons-u-mt-m">
                    <p id="comments">"Comment on each section that needs changing; leave the others empty."</p>
                    {form.error("comments").map(|e| view! { <p class="ons-panel__error"><strong>{e}</strong></p> })}
                    {sections.into_iter().map(|(slug, title)| view! {
                        <div class="ons-u-mt-s"><Input id=format!("comment-{slug}") label=format!("{title}: what to change") form=form.clone() textarea=true/></div>
                    }).collect_view()}
                    <div class="ons-u-mt-m"><Button text="Request changes" secondary=true/></div>
                </form>
                <form method="post" action=format!("/acquisitions/{id}/decision") novalidate class="ons-u-mt-l">
                    <input type="hidden" name="decision" value="reject"/>
                    <Input id="reject_reason" label="Reason for rejection" form=form.clone() textarea=true/>
                    <div class="ons-u-mt-m"><Button text="Reject the application" secondary=true/></div>
                </form>
            </details>
        </section>
    }
}

/// One application: the task list while it is the applicant's to change, otherwise what was
/// submitted; the review forms for reviewers; the outcome; and the decision path.
#[component]
pub fn AcquisitionPage() -> impl IntoView {
    let id = id_param();
    let data = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_acquisition(id).await,
            None => Err(AppError::NotFound("application".into())),
        }
    });
    let form = Resource::new(|| (), |_| take_form("acquisition".into()));
    let upload = Resource::new(|| (), |_| take_form("acquisition-upload".into()));
    view! {
        <Notice/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let form = form.await.unwrap_or_default();
                let upload = upload.await.unwrap_or_default();
                or_error_page(data.await, move |a| {
                    let tone = tone(&a.tone);
                    let submitted = !a.can_edit;
                    view! {
                        <Title text=a.title.clone()/>
                        <ErrorSummary errors=form.errors.clone()/>
                        {breadcrumbs(None)}
                        <h1 class="ons-u-fs-2xl">{a.title.clone()}</h1>
                        <p><StatusTag text=a.state_label.clone() variant=tone/></p>
                        <p>"Applicant: "{a.applicant.clone()}
                           {(!a.collaborators.is_empty()).then(|| format!(". Collaborators: {}", a.collaborators.join(", ")))}"."</p>
                        {(a.state == "refused").then(|| view! {
                            <div class="ons-panel ons-panel--error ons-panel--no-title ons-u-mb-m">
                                <div class="ons-panel__body"><p>"Refused for the Campus network: "{a.outcome_reason.clone()}"."</p></div>
                            </div>
                        })}
                        {(a.state == "rejected").then(|| view! {
                            <div class="ons-panel ons-panel--error ons-panel--no-title ons-u-mb-m">
                                <div class="ons-panel__body"><p>"Rejected: "{a.outcome_reason.clone()}</p></div>
                            </div>
                        })}
                        {(a.state == "approved").then(|| view! {
                            <div class="ons-panel ons-panel--success ons-panel--no-title ons-u-mb-m">
                                <div class="ons-panel__body">
                                    {if a.conditions.is_empty() {
                                        view! { <p>"Approved without conditions."</p> }.into_any()
                                    } else {
                                        view! {
                                            <p>"Approved with these conditions, which apply to the data:"</p>
                                            <ul class="ons-list">{a.conditions.iter().map(|c| view! { <li class="ons-list__item">{c.clone()}</li> }).collect_view()}</ul>
                                        }.into_any()
                                    }}
                                </div>
                            </div>
                        })}
                        {(a.state == "referred").then(|| view! {
                            <p>"Referred to the national ethics committee, which meets on "{a.committee_date.clone()}"."</p>
                        })}
                        {a.dataset_id.map(|d| view! {
                            <p><a href=format!("/datasets/{d}")>"See the dataset, its versions and who may use it"</a></p>
                        })}
                        {a.amending.then(|| view! {
                            <div class="ons-panel ons-panel--info ons-panel--no-title ons-u-mb-m">
                                <div class="ons-panel__body"><p>"An amendment or renewal is under way. The approved terms, the dataset and its grants stand until it is decided; if it is rejected or withdrawn, they carry on unchanged."</p></div>
                            </div>
                        })}
                        {a.can_upload.then(|| view! {
                            <h2>"Upload the data"</h2>
                            <ErrorSummary errors=upload.errors.clone()/>
                            <p>"Each file is checked for malware before it is kept; files with malware are quarantined and data control is told. Clean files together become the dataset's next version."</p>
                            <form method="post" action=format!("/acquisitions/{}/uploads", a.id) enctype="multipart/form-data">
                                <div class="ons-field" id="files">
                                    <label class="ons-label" for="files-input">"Files"</label>
                                    {upload.error("files").map(|e| view! { <p class="ons-panel__error"><strong>{e}</strong></p> })}
                                    <input type="file" id="files-input" name="files" multiple class="ons-input ons-input--upload"/>
                                </div>
                                <div class="ons-u-mt-m"><Button text="Upload and check"/></div>
                            </form>
                        })}
                        {a.can_edit.then(|| view! {
                            <h2>"Complete each section"</h2>
                            <p>"Your answers are saved as you go. Submit once every section is completed."</p>
                            {task_list(&a)}
                            <form method="post" action=format!("/acquisitions/{}/submit", a.id)>
                                <Button text="Submit the application"/>
                            </form>
                        })}
                        {(!a.legal.is_empty()).then(|| view! {
                            <h2>"Data control"</h2>
                            {answers_list(vec![AnswerGroup { title: "Legal gateway".into(), rows: a.legal.clone() }])}
                            <p>"Classified by the applicant as "{a.applicant_class.clone()}"; by data control as "{a.reviewer_class.clone()}"."</p>
                        })}
                        {(!a.changed.is_empty() && a.can_review).then(|| view! {
                            <h2>"Changed since the previous submission"</h2>
                            <table class="ons-table">
                                <caption class="ons-table__caption ons-u-vh">"Answers changed since the previous submission"</caption>
                                <thead class="ons-table__head"><tr class="ons-table__row">
                                    <th scope="col" class="ons-table__header">"Question"</th>
                                    <th scope="col" class="ons-table__header">"Before"</th>
                                    <th scope="col" class="ons-table__header">"Now"</th>
                                </tr></thead>
                                <tbody class="ons-table__body">
                                    {a.changed.iter().map(|c| view! {
                                        <tr class="ons-table__row">
                                            <td class="ons-table__cell">{format!("{}: {}", c.section, c.label)}</td>
                                            <td class="ons-table__cell app-prewrap"><del>{c.before.clone()}</del></td>
                                            <td class="ons-table__cell app-prewrap"><ins>{c.after.clone()}</ins></td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        })}
                        {a.can_review.then(|| review_panel(&a, form.clone()))}
                        {submitted.then(|| view! {
                            <h2 class="ons-u-mt-l">"The application"</h2>
                            {answers_list(a.answers.clone())}
                            <h2>"Ethics self-assessment"</h2>
                            {answers_list(a.ethics.clone())}
                        })}
                        {a.can_amend.then(|| view! {
                            <h2 class="ons-u-mt-l">"Amend or renew"</h2>
                            <p>"To change what was approved, or keep the data longer, amend the application: it comes back to you to change, then goes through review again. Until it is decided, the approved terms stand."</p>
                            <form method="post" action=format!("/acquisitions/{}/amend", a.id)>
                                <Button text="Amend or renew the application" secondary=true/>
                            </form>
                        })}
                        {a.can_withdraw.then(|| view! {
                            <form method="post" action=format!("/acquisitions/{}/withdraw", a.id) class="ons-u-mt-l">
                                <Button text="Withdraw the application" secondary=true/>
                            </form>
                        })}
                        {(!a.reviewers.is_empty()).then(|| view! {
                            <h2 class="ons-u-mt-l">"Reviewers"</h2>
                            <ul class="ons-list">{a.reviewers.iter().map(|(p, n)| view! { <li class="ons-list__item">{format!("{p}: {n}")}</li> }).collect_view()}</ul>
                        })}
                        {(!a.comments.is_empty()).then(|| view! {
                            <h2 class="ons-u-mt-l">"Changes asked for"</h2>
                            <ul class="ons-list">{a.comments.iter().map(|c| view! {
                                <li class="ons-list__item app-prewrap">{format!("{} ({}, {}): {}", c.step, c.who, c.at, c.note)}</li>
                            }).collect_view()}</ul>
                        })}
                        <h2 class="ons-u-mt-l">"Decision path"</h2>
                        <ol class="ons-list">
                            {a.path.iter().map(|p| view! {
                                <li class="ons-list__item">{format!("{}: {} ({}). {}", p.at, p.step, p.who, p.note)}</li>
                            }).collect_view()}
                        </ol>
                    }
                })
            })}
        </Suspense>
    }
}

/// One section of the application as a form, saved as typed.
#[component]
pub fn AcquisitionSectionPage() -> impl IntoView {
    let id = id_param();
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let data = Resource::new(
        move || (id(), slug()),
        |(id, slug)| async move {
            match id {
                Some(id) => get_acquisition_section(id, slug).await,
                None => Err(AppError::NotFound("application".into())),
            }
        },
    );
    let form = Resource::new(|| (), |_| take_form("acquisition-section".into()));
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let posted = form.await.unwrap_or_default();
                or_error_page(data.await, move |s| {
                    let form = if posted.errors.is_empty() {
                        FormState {
                            values: s.fields.iter().map(|f| (f.key.clone(), f.value.clone())).collect(),
                            errors: Vec::new(),
                        }
                    } else {
                        posted.clone()
                    };
                    view! {
                        <Title text=format!("{}: {}", s.title, s.application)/>
                        <ErrorSummary errors=form.errors.clone()/>
                        {breadcrumbs(Some((format!("/acquisitions/{}", s.id), s.application.clone())))}
                        <h1 class="ons-u-fs-2xl">{s.title.clone()}</h1>
                        {(!s.comments.is_empty()).then(|| view! {
                            <div class="ons-panel ons-panel--info ons-panel--no-title ons-u-mb-m">
                                <div class="ons-panel__body">
                                    <p><strong>"A reviewer asked you to change this section:"</strong></p>
                                    {s.comments.iter().map(|c| view! { <p class="app-prewrap">{c.clone()}</p> }).collect_view()}
                                </div>
                            </div>
                        })}
                        <form method="post" action=format!("/acquisitions/{}/sections/{}", s.id, s.slug) novalidate>
                            {s.fields.iter().map(|f| {
                                let hint = if f.required { None } else { Some("Optional".to_owned()) };
                                match f.kind.as_str() {
                                    "classification" => view! {
                                        <fieldset class="ons-fieldset ons-u-mb-m" id=f.key.clone()>
                                            <legend class="ons-fieldset__legend">{f.label.clone()}</legend>
                                            <p class="ons-u-fs-s">"Tiers 0 to 2 and OFFICIAL are non-sensitive. Tiers 3 and 4 and OFFICIAL-SENSITIVE cannot come into the Campus network: apply to the secure corporate data service instead."</p>
                                            {form.error(&f.key).map(|e| view! { <p class="ons-panel__error"><strong>{e}</strong></p> })}
                                            <div class="ons-radios__items">
                                                <RadioItems name=f.key.clone() options=s.classification_options.clone() checked=form.value(&f.key)/>
                                            </div>
                                        </fieldset>
                                    }.into_any(),
                                    "date" => view! {
                                        <div class="ons-u-mb-m"><Input id=f.key.clone() label=f.label.clone() hint="YYYY-MM-DD, for example 2028-03-31" form=form.clone() width=10/></div>
                                    }.into_any(),
                                    "long" => view! {
                                        <div class="ons-u-mb-m"><Input id=f.key.clone() label=f.label.clone() form=form.clone() textarea=true/></div>
                                    }.into_any(),
                                    _ => match hint {
                                        Some(h) => view! {
                                            <div class="ons-u-mb-m"><Input id=f.key.clone() label=f.label.clone() hint=h form=form.clone()/></div>
                                        }.into_any(),
                                        None => view! {
                                            <div class="ons-u-mb-m"><Input id=f.key.clone() label=f.label.clone() form=form.clone()/></div>
                                        }.into_any(),
                                    },
                                }
                            }).collect_view()}
                            <div class="ons-u-mt-l"><Button text="Save and return to the task list"/></div>
                        </form>
                    }
                })
            })}
        </Suspense>
    }
}

/// The ethics self-assessment: every item of the six principles rated, with a justification.
#[component]
pub fn AcquisitionEthicsPage() -> impl IntoView {
    let id = id_param();
    let data = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_acquisition_ethics(id).await,
            None => Err(AppError::NotFound("application".into())),
        }
    });
    let form = Resource::new(|| (), |_| take_form("acquisition-ethics".into()));
    let risks = crate::components::ons::options(&[
        ("low", "Low risk"),
        ("average", "Average risk"),
        ("high", "High risk"),
    ]);
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let risks = risks.clone();
                Suspend::new(async move {
                let posted = form.await.unwrap_or_default();
                or_error_page(data.await, move |e| {
                    let form = if posted.errors.is_empty() {
                        FormState {
                            values: e.principles.iter().flat_map(|(_, items)| items.iter().flat_map(|i| [
                                (i.risk_field.clone(), i.risk.clone()),
                                (i.why_field.clone(), i.justification.clone()),
                            ])).collect(),
                            errors: Vec::new(),
                        }
                    } else {
                        posted.clone()
                    };
                    view! {
                        <Title text=format!("Ethics self-assessment: {}", e.application)/>
                        <ErrorSummary errors=form.errors.clone()/>
                        {breadcrumbs(Some((format!("/acquisitions/{}", e.id), e.application.clone())))}
                        <h1 class="ons-u-fs-2xl">"Ethics self-assessment"</h1>
                        <p>"Rate each question against the UK Statistics Authority's ethical principles, and say why. Any high-risk rating sends the application to the national ethics committee; otherwise the data ethics team reviews it."</p>
                        <form method="post" action=format!("/acquisitions/{}/ethics", e.id) novalidate>
                            {e.principles.iter().map(|(principle, items)| view! {
                                <h2 class="ons-u-mt-l">{principle.clone()}</h2>
                                {items.iter().map(|i| view! {
                                    <fieldset class="ons-fieldset ons-u-mb-s" id=i.risk_field.clone()>
                                        <legend class="ons-fieldset__legend">{i.question.clone()}</legend>
                                        {form.error(&i.risk_field).map(|m| view! { <p class="ons-panel__error"><strong>{m}</strong></p> })}
                                        <div class="ons-radios__items app-radios-inline">
                                            <RadioItems name=i.risk_field.clone() options=risks.clone() checked=form.value(&i.risk_field)/>
                                        </div>
                                    </fieldset>
                                    <div class="ons-u-mb-l"><Input id=i.why_field.clone() label="Why you rated it so" form=form.clone() textarea=true/></div>
                                }).collect_view()}
                            }).collect_view()}
                            <div class="ons-u-mt-l"><Button text="Save and return to the task list"/></div>
                        </form>
                    }
                })
            })}}
        </Suspense>
    }
}

/// The public data-use register: every approved acquisition, visible without an account.
#[component]
pub fn RegisterPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| get_register());
    view! {
        <Title text="Data-use register"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                or_error_page(data.await, |entries| view! {
                    <h1 class="ons-u-fs-2xl">"Data-use register"</h1>
                    <p>"Every use of data approved for the Data Science Campus network, after data control and ethics review: what it is for, its legal basis and how long the data is kept."</p>
                    {if entries.is_empty() {
                        view! { <p>"No uses have been approved yet."</p> }.into_any()
                    } else {
                        entries.into_iter().map(|e| view! {
                            <section class="ons-u-mb-xl" aria-labelledby=format!("entry-{}", e.id)>
                                <h2 id=format!("entry-{}", e.id)>{e.title}</h2>
                                <dl class="ons-description-list ons-description-list__items ons-grid ons-grid--gutterless">
                                    <div class="ons-description-list__item"><dt class="ons-description-list__term ons-grid__col ons-col-3@m">"Organisation"</dt><dd class="ons-description-list__value ons-grid__col ons-col-9@m">{e.organisation}</dd></div>
                                    <div class="ons-description-list__item"><dt class="ons-description-list__term ons-grid__col ons-col-3@m">"Summary"</dt><dd class="ons-description-list__value ons-grid__col ons-col-9@m app-prewrap">{e.lay_summary}</dd></div>
                                    <div class="ons-description-list__item"><dt class="ons-description-list__term ons-grid__col ons-col-3@m">"Public benefit"</dt><dd class="ons-description-list__value ons-grid__col ons-col-9@m app-prewrap">{e.public_benefit}</dd></div>
                                    <div class="ons-description-list__item"><dt class="ons-description-list__term ons-grid__col ons-col-3@m">"Data"</dt><dd class="ons-description-list__value ons-grid__col ons-col-9@m">{e.datasets.join("; ")}</dd></div>
                                    <div class="ons-description-list__item"><dt class="ons-description-list__term ons-grid__col ons-col-3@m">"Legal basis"</dt><dd class="ons-description-list__value ons-grid__col ons-col-9@m">{e.legal_basis}</dd></div>
                                    <div class="ons-description-list__item"><dt class="ons-description-list__term ons-grid__col ons-col-3@m">"From"</dt><dd class="ons-description-list__value ons-grid__col ons-col-9@m">{e.start_date}</dd></div>
                                    <div class="ons-description-list__item"><dt class="ons-description-list__term ons-grid__col ons-col-3@m">"Data deleted by"</dt><dd class="ons-description-list__value ons-grid__col ons-col-9@m">{e.end_date}</dd></div>
                                </dl>
                            </section>
                        }).collect_view().into_any()
                    }}
                })
            })}
        </Suspense>
    }
}

/// The dataset catalogue, searchable by title, description or source.
#[component]
pub fn DatasetsPage() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let after = use_after();
    let data = Resource::new(move || (q(), after()), |(q, after)| list_datasets(q, after));
    view! {
        <Title text="Datasets"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let current = q();
                or_error_page(data.await, move |page| {
                let rows = page.rows;
                let current_for_link = current.clone();
                let more_href = move |n: i64| format!("/datasets?q={}&after={n}", url_encode(&current_for_link));
                view! {
                    <h1 class="ons-u-fs-2xl">"Datasets"</h1>
                    <p>"Data brought into the Campus network by approved acquisitions, with their conditions, versions and the projects allowed to use them."</p>
                    <form method="get" action="/datasets" role="search" class="ons-u-mb-l">
                        <div class="ons-field">
                            <label class="ons-label" for="q">"Search by title, description or source"</label>
                            <input type="search" id="q" name="q" class="ons-input ons-input--text ons-input-type__input ons-input--w-20" value=current.clone()/>
                        </div>
                        <div class="ons-u-mt-s"><Button text="Search" secondary=true/></div>
                    </form>
                    {if rows.is_empty() {
                        view! { <p>"No datasets match."</p> }.into_any()
                    } else {
                        view! {
                            <table class="ons-table">
                                <caption class="ons-table__caption ons-u-vh">"Datasets"</caption>
                                <thead class="ons-table__head"><tr class="ons-table__row">
                                    <th scope="col" class="ons-table__header">"Dataset"</th>
                                    <th scope="col" class="ons-table__header">"Source"</th>
                                    <th scope="col" class="ons-table__header">"Licence"</th>
                                    <th scope="col" class="ons-table__header">"Classification"</th>
                                    <th scope="col" class="ons-table__header">"Owner"</th>
                                    <th scope="col" class="ons-table__header">"Kept until"</th>
                                    <th scope="col" class="ons-table__header">"Status"</th>
                                </tr></thead>
                                <tbody class="ons-table__body">
                                    {rows.into_iter().map(|d| view! {
                                        <tr class="ons-table__row">
                                            <td class="ons-table__cell"><a href=format!("/datasets/{}", d.id)>{d.title}</a></td>
                                            <td class="ons-table__cell">{d.source}</td>
                                            <td class="ons-table__cell">{d.licence}</td>
                                            <td class="ons-table__cell">{d.classification}</td>
                                            <td class="ons-table__cell">{d.owner}</td>
                                            <td class="ons-table__cell">{d.retention_date}</td>
                                            <td class="ons-table__cell">{if d.closed.is_empty() { "Open" } else { "Closed" }}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }}
                    <NextPage next=page.next href=more_href text="More datasets"/>
                }})
            })}
        </Suspense>
    }
}

/// One dataset: its metadata and conditions, versions with checksums, every upload (quarantined
/// ones included), and access grants with their revocations.
#[component]
pub fn DatasetPage() -> impl IntoView {
    let id = id_param();
    let data = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_dataset(id).await,
            None => Err(AppError::NotFound("dataset".into())),
        }
    });
    let form = Resource::new(|| (), |_| take_form("dataset-grant".into()));
    view! {
        <Notice/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let form = form.await.unwrap_or_default();
                or_error_page(data.await, move |d| {
                    let id = d.row.id;
                    view! {
                        <Title text=d.row.title.clone()/>
                        <ErrorSummary errors=form.errors.clone()/>
                        <nav class="ons-breadcrumbs" aria-label="Breadcrumbs">
                            <ol class="ons-breadcrumbs__items ons-u-fs-s">
                                <li class="ons-breadcrumbs__item"><a class="ons-breadcrumbs__link" href="/datasets">"Datasets"</a></li>
                            </ol>
                        </nav>
                        <h1 class="ons-u-fs-2xl">{d.row.title.clone()}</h1>
                        {(!d.row.closed.is_empty()).then(|| view! {
                            <div class="ons-panel ons-panel--info ons-panel--no-title ons-u-mb-m">
                                <div class="ons-panel__body"><p>{d.row.closed.clone()}</p></div>
                            </div>
                        })}
                        <p class="app-prewrap">{d.description.clone()}</p>
                        <dl class="ons-description-list ons-description-list__items ons-grid ons-grid--gutterless ons-u-mb-l">
                            <div class="ons-description-list__item"><dt class="ons-description-list__term ons-grid__col ons-col-3@m">"Source"</dt><dd class="ons-description-list__value ons-grid__col ons-col-9@m">{d.row.source.clone()}</dd></div>
                            <div class="ons-description-list__item"><dt class="ons-description-list__term ons-grid__col ons-col-3@m">"Licence"</dt><dd class="ons-description-list__value ons-grid__col ons-col-9@m">{d.row.licence.clone()}</dd></div>
                            <div class="ons-description-list__item"><dt class="ons-description-list__term ons-grid__col ons-col-3@m">"Classification"</dt><dd class="ons-description-list__value ons-grid__col ons-col-9@m">{d.row.classification.clone()}</dd></div>
                            <div class="ons-description-list__item"><dt class="ons-description-list__term ons-grid__col ons-col-3@m">"Owner"</dt><dd class="ons-description-list__value ons-grid__col ons-col-9@m">{d.row.owner.clone()}</dd></div>
                            <div class="ons-description-list__item"><dt class="ons-description-list__term ons-grid__col ons-col-3@m">"Kept until"</dt><dd class="ons-description-list__value ons-grid__col ons-col-9@m">{d.row.retention_date.clone()}</dd></div>
                            <div class="ons-description-list__item"><dt class="ons-description-list__term ons-grid__col ons-col-3@m">"Application"</dt><dd class="ons-description-list__value ons-grid__col ons-col-9@m"><a href=format!("/acquisitions/{}", d.acquisition_id)>"The approved application"</a></dd></div>
                        </dl>
                        <h2>"Conditions"</h2>
                        {if d.conditions.is_empty() {
                            view! { <p>"No conditions."</p> }.into_any()
                        } else {
                            view! { <ul class="ons-list">{d.conditions.iter().map(|c| view! { <li class="ons-list__item">{c.clone()}</li> }).collect_view()}</ul> }.into_any()
                        }}
                        <h2>"Versions"</h2>
                        {if d.versions.is_empty() {
                            view! { <p>"No data has been uploaded yet."</p> }.into_any()
                        } else {
                            d.versions.iter().map(|v| view! {
                                <table class="ons-table ons-u-mb-m">
                                    <caption class="ons-table__caption">{format!("Version {}, {}", v.number, v.created)}</caption>
                                    <thead class="ons-table__head"><tr class="ons-table__row">
                                        <th scope="col" class="ons-table__header">"File"</th>
                                        <th scope="col" class="ons-table__header ons-table__header--numeric">"Size"</th>
                                        <th scope="col" class="ons-table__header">"SHA-256"</th>
                                    </tr></thead>
                                    <tbody class="ons-table__body">
                                        {v.files.iter().map(|(n, s, h)| view! {
                                            <tr class="ons-table__row">
                                                <td class="ons-table__cell">{n.clone()}</td>
                                                <td class="ons-table__cell ons-table__cell--numeric">{s.clone()}</td>
                                                <td class="ons-table__cell app-token"><code>{h.clone()}</code></td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }).collect_view().into_any()
                        }}
                        {(!d.uploads.is_empty()).then(|| view! {
                            <h2>"Uploads"</h2>
                            <table class="ons-table">
                                <caption class="ons-table__caption ons-u-vh">"Every file uploaded, with its malware check"</caption>
                                <thead class="ons-table__head"><tr class="ons-table__row">
                                    <th scope="col" class="ons-table__header">"File"</th>
                                    <th scope="col" class="ons-table__header">"Check"</th>
                                    <th scope="col" class="ons-table__header">"By"</th>
                                    <th scope="col" class="ons-table__header">"When"</th>
                                </tr></thead>
                                <tbody class="ons-table__body">
                                    {d.uploads.iter().map(|u| view! {
                                        <tr class="ons-table__row">
                                            <td class="ons-table__cell">{format!("{} ({})", u.name, u.size)}</td>
                                            <td class="ons-table__cell">{u.outcome.clone()}</td>
                                            <td class="ons-table__cell">{u.uploader.clone()}</td>
                                            <td class="ons-table__cell">{u.at.clone()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        })}
                        <h2 class="ons-u-mt-l">"Projects that may use it"</h2>
                        {if d.grants.is_empty() {
                            view! { <p>"No project has been granted access."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="ons-list">
                                    {d.grants.iter().map(|g| {
                                        let live = g.revoked.is_empty();
                                        let field = format!("revoke_reason-{}", g.id);
                                        view! {
                                            <li class="ons-list__item">
                                                <strong>{g.project.clone()}</strong>{format!(": granted {}. Why: {}", g.granted, g.reason)}
                                                {(!live).then(|| view! { <br/>{g.revoked.clone()} })}
                                                {(live && d.can_manage).then(|| view! {
                                                    <form method="post" action=format!("/datasets/{id}/grants/{}/revoke", g.id) novalidate class="ons-u-mt-s">
                                                        <Input id=field.clone() label=format!("Why access for {} is revoked", g.project) form=form.clone()/>
                                                        <div class="ons-u-mt-s"><Button text="Revoke access" secondary=true small=true/></div>
                                                    </form>
                                                })}
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                        {d.certificate.clone().map(|c| (c.when, c.files, c.failures)).map(|(when, files, failures)| view! {
                            <h2 class="ons-u-mt-l">"Deletion certificate"</h2>
                            <p>{format!("Deleted {when}.")}</p>
                            <table class="ons-table">
                                <caption class="ons-table__caption ons-u-vh">"Files deleted"</caption>
                                <thead class="ons-table__head"><tr class="ons-table__row">
                                    <th scope="col" class="ons-table__header">"File deleted"</th>
                                    <th scope="col" class="ons-table__header ons-table__header--numeric">"Size"</th>
                                    <th scope="col" class="ons-table__header">"SHA-256"</th>
                                </tr></thead>
                                <tbody class="ons-table__body">
                                    {files.into_iter().map(|(n, s, h)| view! {
                                        <tr class="ons-table__row">
                                            <td class="ons-table__cell">{n}</td>
                                            <td class="ons-table__cell ons-table__cell--numeric">{s}</td>
                                            <td class="ons-table__cell app-token"><code>{h}</code></td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            {(!failures.is_empty()).then(|| view! {
                                <p><strong>"Not deleted: "</strong>{failures.join("; ")}</p>
                            })}
                        })}
                        {d.can_manage.then(|| view! {
                            <h3>"Grant a project access"</h3>
                            <form method="post" action=format!("/datasets/{id}/grants") novalidate>
                                <div class="ons-field" id="project">
                                    <label class="ons-label" for="project-select">"Project"</label>
                                    {form.error("project").map(|e| view! { <p class="ons-panel__error"><strong>{e}</strong></p> })}
                                    <select id="project-select" name="project" class="ons-input ons-input--select">
                                        <option value="">"Choose a project"</option>
                                        {d.projects.iter().map(|(v, n)| view! { <option value=v.clone()>{n.clone()}</option> }).collect_view()}
                                    </select>
                                </div>
                                <div class="ons-u-mt-m"><Input id="reason" label="Why the project needs it" form=form.clone() textarea=true/></div>
                                <div class="ons-u-mt-m"><Button text="Grant access"/></div>
                            </form>
                            <h3 class="ons-u-mt-xl">"Close the dataset"</h3>
                            <p>"Closing revokes every grant and deletes every file of every version, and quarantined uploads too. A deletion certificate records each file deleted."</p>
                            <form method="post" action=format!("/datasets/{id}/close") novalidate>
                                <Input id="close_reason" label="Why it is closed" form=form.clone() textarea=true/>
                                <div class="ons-u-mt-m"><Button text="Close and delete the data" secondary=true/></div>
                            </form>
                        })}
                    }
                })
            })}
        </Suspense>
    }
}
