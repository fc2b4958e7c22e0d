//! Charts drawn as inline SVG on the server, so they show without JavaScript. A chart is never
//! the only way to read its figures: each sits beside a table of the same numbers, and the SVG
//! carries a text name for screen readers. Bars differ by fill pattern as well as colour.

use leptos::prelude::*;

/// One group of bars on the x axis: a label and each series' value as a percentage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BarGroup {
    pub label: String,
    /// One value per series, in the order of `series`.
    pub percents: Vec<i64>,
}

/// The look of each series in order: solid blue, then hatched green. Both keep 3:1 contrast
/// against white (WCAG 1.4.11).
const SERIES_COLOURS: [&str; 2] = ["#206095", "#0f8243"];

const PLOT_HEIGHT: i64 = 120;
const TOP: i64 = 10;
const LEFT: i64 = 40;
const BAR: i64 = 12;
const GROUP: i64 = 40;

/// Grouped bars of percentages (0–100 %, taller values drawn to the top and labelled with
/// their real figure), with a legend in HTML above the chart.
#[component]
pub fn PercentBars(
    /// What the chart shows, read out as its accessible name.
    #[prop(into)]
    name: String,
    /// The series' names, in order; at most two.
    series: Vec<&'static str>,
    groups: Vec<BarGroup>,
    /// Makes the fill patterns' ids unique when a page draws several charts.
    #[prop(into)]
    id: String,
) -> impl IntoView {
    let width = LEFT + GROUP * groups.len() as i64 + 10;
    let height = TOP + PLOT_HEIGHT + 30;
    let y = |percent: i64| TOP + PLOT_HEIGHT - PLOT_HEIGHT * percent.clamp(0, 100) / 100;
    let hatch = format!("{id}-hatch");
    let fill = {
        let hatch = hatch.clone();
        move |series: usize| match series {
            0 => SERIES_COLOURS[0].to_owned(),
            _ => format!("url(#{hatch})"),
        }
    };
    let legend = series
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let class = if i == 0 {
                "app-chart__key app-chart__key--solid"
            } else {
                "app-chart__key app-chart__key--hatched"
            };
            view! { <li><span class=class aria-hidden="true"></span>{*s}</li> }
        })
        .collect_view();
    let names = series.clone();
    view! {
        <div class="app-chart">
            <ul class="app-chart__legend ons-u-fs-s">{legend}</ul>
            <svg
                role="img"
                aria-label=name
                viewBox=format!("0 0 {width} {height}")
                width=width * 2
                class="app-chart__svg"
                xmlns="http://www.w3.org/2000/svg"
            >
                <defs>
                    <pattern id=hatch width="4" height="4" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
                        <rect width="4" height="4" fill="#ffffff"/>
                        <rect width="2.5" height="4" fill=SERIES_COLOURS[1]/>
                    </pattern>
                </defs>
                {[0i64, 50, 100].into_iter().map(|p| view! {
                    <line x1=LEFT x2=width - 5 y1=y(p) y2=y(p) stroke="#707071" stroke-width="0.5"/>
                    <text x=LEFT - 4 y=y(p) + 3 text-anchor="end" font-size="9" fill="#222222">{format!("{p}%")}</text>
                }).collect_view()}
                {groups.into_iter().enumerate().map(|(g, group)| {
                    let x0 = LEFT + GROUP * g as i64 + 6;
                    let bars = group.percents.iter().enumerate().map(|(s, &p)| {
                        let top = y(p);
                        let title = format!("{}, week of {}: {p}%", names.get(s).copied().unwrap_or(""), group.label);
                        view! {
                            <rect x=x0 + s as i64 * (BAR + 2) y=top width=BAR height=TOP + PLOT_HEIGHT - top
                                fill=fill(s) stroke=SERIES_COLOURS[s.min(1)] stroke-width="1">
                                <title>{title}</title>
                            </rect>
                        }
                    }).collect_view();
                    view! {
                        {bars}
                        <text x=x0 + BAR y=TOP + PLOT_HEIGHT + 14 text-anchor="middle" font-size="9" fill="#222222">{group.label}</text>
                    }
                }).collect_view()}
            </svg>
        </div>
    }
}
