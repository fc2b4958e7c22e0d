//! Quota and capacity tables: used of limit per resource, with the 75 % and 95 % warnings in
//! words as well as colour.

use crate::api::Gauge;
use crate::components::ons::StatusTag;
use leptos::prelude::*;

#[component]
pub fn GaugeTable(
    caption: &'static str,
    gauges: Vec<Gauge>,
    #[prop(optional)] free: bool,
) -> impl IntoView {
    view! {
        <table class="ons-table app-gauges">
            <caption class="ons-table__caption">{caption}</caption>
            <thead class="ons-table__head"><tr class="ons-table__row">
                <th scope="col" class="ons-table__header">"Resource"</th>
                <th scope="col" class="ons-table__header ons-table__header--numeric">{if free { "Free" } else { "Used" }}</th>
                <th scope="col" class="ons-table__header ons-table__header--numeric">{if free { "Total" } else { "Limit" }}</th>
                <th scope="col" class="ons-table__header"><span class="ons-u-vh">"Level"</span></th>
            </tr></thead>
            <tbody class="ons-table__body">
                {gauges.into_iter().map(|g| {
                    let shown = if free { g.limit.saturating_sub(g.used) } else { g.used };
                    let tag = match g.level.as_str() {
                        "warning" => Some(("75 % or more used", "pending")),
                        "critical" => Some(("95 % or more used", "error")),
                        "over" => Some(("Over the limit", "error")),
                        _ => None,
                    };
                    view! {
                        <tr class="ons-table__row">
                            <td class="ons-table__cell">{g.label}</td>
                            <td class="ons-table__cell ons-table__cell--numeric">{shown}</td>
                            <td class="ons-table__cell ons-table__cell--numeric">{g.limit}</td>
                            <td class="ons-table__cell">{tag.map(|(t, v)| view! { <StatusTag text=t.to_owned() variant=v/> })}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The design-system status colour for a lifecycle state.
pub fn state_variant(state: &str) -> &'static str {
    match state {
        "active" => "success",
        "failed" | "rejected" => "error",
        "decommissioned" | "expiring" => "dead",
        "stopped" => "info",
        _ => "pending",
    }
}
