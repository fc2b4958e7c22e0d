//! ONS Design System patterns written as Leptos components. Names and parameters follow the
//! design system's macros (button, input, error summary, panel, description list, checkboxes);
//! the markup uses its classes so its CSS styles them unchanged.

use crate::forms::FormState;
use leptos::prelude::*;

/// `onsButton`: a submit button, primary unless `secondary`. A form with more than one gives each
/// a `name` and `value`, which the post then carries for the one pressed.
#[component]
pub fn Button(
    text: &'static str,
    #[prop(optional)] secondary: bool,
    #[prop(optional)] small: bool,
    #[prop(optional, into)] aria_label: Option<String>,
    #[prop(optional)] name: Option<&'static str>,
    #[prop(optional)] value: Option<&'static str>,
) -> impl IntoView {
    let mut class = String::from("ons-btn");
    if secondary {
        class.push_str(" ons-btn--secondary");
    }
    if small {
        class.push_str(" ons-btn--small");
    }
    view! {
        <button type="submit" class=class aria-label=aria_label name=name value=value>
            <span class="ons-btn__inner"><span class="ons-btn__text">{text}</span></span>
        </button>
    }
}

/// `onsButton` with `url`: a link styled as a button.
#[component]
pub fn LinkButton(
    text: &'static str,
    href: String,
    #[prop(optional)] secondary: bool,
    /// For links to server routes outside the page router (sign-in, downloads), so the hydrated
    /// router lets the browser follow them.
    #[prop(optional)]
    external: bool,
) -> impl IntoView {
    let class = if secondary {
        "ons-btn ons-btn--link ons-btn--secondary"
    } else {
        "ons-btn ons-btn--link"
    };
    view! {
        <a href=href class=class rel=external.then_some("external")>
            <span class="ons-btn__inner"><span class="ons-btn__text">{text}</span></span>
        </a>
    }
}

/// `onsErrorSummary`: lists every problem, each linking to its field. Shown above the form. A
/// field that starts with `/` is a link to another page (a gap in another section).
#[component]
pub fn ErrorSummary(errors: Vec<(String, String)>) -> impl IntoView {
    if errors.is_empty() {
        return ().into_any();
    }
    let title = if errors.len() == 1 {
        "There is a problem with this page".to_owned()
    } else {
        format!("There are {} problems with this page", errors.len())
    };
    view! {
        <div class="ons-panel ons-panel--error" aria-labelledby="error-summary-title" role="alert" tabindex="-1" id="error-summary">
            <div class="ons-panel__header">
                <h2 id="error-summary-title" class="ons-panel__title ons-u-fs-r--b">{title}</h2>
            </div>
            <div class="ons-panel__body">
                <ol class="ons-list">
                    {errors
                        .into_iter()
                        .map(|(field, message)| view! {
                            <li class="ons-list__item">
                                <a href=if field.starts_with('/') { field } else { format!("#{field}") } class="ons-list__link">{message}</a>
                            </li>
                        })
                        .collect_view()}
                </ol>
            </div>
        </div>
    }
    .into_any()
}

/// `onsError` around a field: the message sits beside the field it is about.
#[component]
pub fn FieldError(id: String, error: Option<String>, children: Children) -> impl IntoView {
    match error {
        Some(message) => view! {
            <div class="ons-panel ons-panel--error ons-panel--no-title" id=format!("{id}-error")>
                <span class="ons-panel__assistive-text ons-u-vh">"Error: "</span>
                <div class="ons-panel__body">
                    <p class="ons-panel__error"><strong>{message}</strong></p>
                    {children()}
                </div>
            </div>
        }
        .into_any(),
        None => children().into_any(),
    }
}

/// `onsInput` (or `onsTextarea` when `textarea`), filled from and annotated by a [`FormState`].
#[component]
pub fn Input(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    form: FormState,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] textarea: bool,
    #[prop(optional)] width: Option<u8>,
) -> impl IntoView {
    let error = form.error(&id);
    let value = if kind == "password" {
        String::new()
    } else {
        form.value(&id)
    };
    let mut class = String::from("ons-input ons-input--text ons-input-type__input");
    if textarea {
        class = String::from("ons-input ons-input--textarea");
    }
    if let Some(w) = width {
        class.push_str(&format!(" ons-input--w-{w}"));
    }
    if error.is_some() {
        class.push_str(" ons-input--error");
    }
    let described = hint.as_ref().map(|_| format!("{id}-hint"));
    let invalid = error.as_ref().map(|_| "true");
    let control = if textarea {
        view! {
            <textarea id=id.clone() name=id.clone() class=class rows="6" aria-describedby=described.clone() aria-invalid=invalid>{value}</textarea>
        }
        .into_any()
    } else {
        view! {
            <input type=kind id=id.clone() name=id.clone() class=class value=value autocomplete=autocomplete
                aria-describedby=described.clone() aria-invalid=invalid/>
        }
        .into_any()
    };
    view! {
        <FieldError id=id.clone() error=error>
            <div class="ons-field">
                <label class="ons-label" class:ons-label--with-description=hint.is_some() for=id.clone()>{label}</label>
                {hint.map(|h| view! { <span id=format!("{id}-hint") class="ons-label__description ons-input--with-description">{h}</span> })}
                {control}
            </div>
        </FieldError>
    }
}

/// `onsPanel` with variant `success` or `info`.
#[component]
pub fn Panel(#[prop(optional)] success: bool, children: Children) -> impl IntoView {
    let (class, assistive) = if success {
        (
            "ons-panel ons-panel--success ons-panel--no-title",
            "Completed: ",
        )
    } else {
        (
            "ons-panel ons-panel--info ons-panel--no-title",
            "Important information: ",
        )
    };
    view! {
        <div class=class>
            <span class="ons-panel__assistive-text ons-u-vh">{assistive}</span>
            <div class="ons-panel__body">{children()}</div>
        </div>
    }
}

/// One row of `onsDescriptionList`.
#[component]
pub fn DescriptionRow(#[prop(into)] term: String, children: Children) -> impl IntoView {
    view! {
        <div class="ons-description-list__item">
            <dt class="ons-description-list__term ons-grid__col ons-col-3@m">{term}</dt>
            <dd class="ons-description-list__value ons-grid__col ons-col-9@m">{children()}</dd>
        </div>
    }
}

/// `onsDescriptionList` around [`DescriptionRow`]s.
#[component]
pub fn DescriptionList(children: Children) -> impl IntoView {
    view! { <dl class="ons-description-list ons-description-list__items ons-grid ons-grid--gutterless ons-u-mb-l">{children()}</dl> }
}

/// One `onsCheckbox` in an `onsCheckboxes` fieldset.
#[component]
pub fn Checkbox(
    name: &'static str,
    value: String,
    label: String,
    checked: bool,
    #[prop(default = None)] hint: Option<String>,
) -> impl IntoView {
    let id = format!("{name}-{value}");
    view! {
        <span class="ons-checkboxes__item">
            <span class="ons-checkbox">
                <input type="checkbox" id=id.clone() class="ons-checkbox__input" name=name value=value checked=checked/>
                <label class="ons-checkbox__label" for=id>
                    {label}
                    {hint.map(|h| view! { <span class="ons-label__description ons-checkbox__label--with-description">{h}</span> })}
                </label>
            </span>
        </span>
    }
}

/// `onsSelect`, filled from and annotated by a [`FormState`]: one option per (value, label), the
/// one the form holds selected, after a first empty option reading `prompt`.
#[component]
pub fn Select(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    form: FormState,
    options: Vec<(String, String)>,
    #[prop(into)] prompt: String,
) -> impl IntoView {
    let error = form.error(&id);
    let chosen = form.value(&id);
    let invalid = error.as_ref().map(|_| "true");
    view! {
        <FieldError id=id.clone() error=error>
            <div class="ons-field">
                <label class="ons-label" for=id.clone()>{label}</label>
                <select id=id.clone() name=id class="ons-input ons-input--select" aria-invalid=invalid>
                    <option value="">{prompt}</option>
                    {options.into_iter().map(|(value, text)| {
                        let on = value == chosen;
                        view! { <option value=value selected=on>{text}</option> }
                    }).collect_view()}
                </select>
            </div>
        </FieldError>
    }
}

/// Fixed (value, label) pairs as the owned options [`RadioItems`] takes.
pub fn options(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
        .collect()
}

/// The items of an `onsRadios` group: one radio per (value, label), the one equal to `checked`
/// selected. Ids are `<name>-<value>` (a colon in the value becomes a hyphen).
#[component]
pub fn RadioItems(
    #[prop(into)] name: String,
    options: Vec<(String, String)>,
    #[prop(into)] checked: String,
) -> impl IntoView {
    view! {
        <div class="ons-radios__items">
            {options.into_iter().map(|(value, label)| {
                let rid = format!("{name}-{}", value.replace(':', "-"));
                let on = value == checked;
                view! {
                    <span class="ons-radios__item">
                        <span class="ons-radio">
                            <input type="radio" id=rid.clone() class="ons-radio__input" name=name.clone() value=value checked=on/>
                            <label class="ons-radio__label" for=rid>{label}</label>
                        </span>
                    </span>
                }
            }).collect_view()}
        </div>
    }
}

/// The [`StatusTag`] variant for a tone a server function names ("success", "error", "dead",
/// "info"); anything else is pending.
pub fn tone(name: &str) -> &'static str {
    match name {
        "success" => "success",
        "error" => "error",
        "dead" => "dead",
        "info" => "info",
        _ => "pending",
    }
}

/// `onsStatus` tag.
#[component]
pub fn StatusTag(text: String, #[prop(optional)] variant: &'static str) -> impl IntoView {
    let class = if variant.is_empty() {
        "ons-status".to_owned()
    } else {
        format!("ons-status ons-status--{variant}")
    };
    view! { <span class=class>{text}</span> }
}
