//! campus: accelerator bookings from a terminal, through the portal's JSON API with a personal
//! access token, so what it may do is exactly what the token's owner may do on the pages.
//!
//! ```text
//! export CAMPUS_URL=https://portal.campus.example CAMPUS_TOKEN=cpt_…
//! campus models
//! campus week --model "NVIDIA A100 80GB" --week-of 2026-12-07
//! campus bookings --project 3
//! campus book --project 3 --model "NVIDIA A100 80GB" --count 1 --date 2026-12-08 --start-hour 10 --hours 2 --purpose "Fine-tuning"
//! campus change 12 --date 2026-12-08 --start-hour 11 --hours 2
//! campus cancel 12
//! campus use --project 3 --weeks 8
//! campus utilisation --weeks 8
//! ```
//!
//! Every command takes `--json` to print the API's answer as it came. A refusal prints the
//! API's message and each field's reason, and the command exits with status 1.

use clap::{Parser, Subcommand};
use serde_json::{json, Value};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "campus",
    about = "Book GPU and TPU time on the Data Science Campus network, and see how it was used"
)]
struct Cli {
    /// The portal's address.
    #[arg(long, env = "CAMPUS_URL", default_value = "http://127.0.0.1:3000")]
    url: String,
    /// A personal access token from My account (write scope to book, change and cancel).
    #[arg(long, env = "CAMPUS_TOKEN", hide_env_values = true)]
    token: String,
    /// Print the API's JSON instead of a table.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The device types that can be booked, with how many of each are in service.
    Models,
    /// A week of one device type: devices free each hour, and the bookings.
    Week {
        #[arg(long, default_value = "")]
        model: String,
        /// Any day of the week, YYYY-MM-DD (this week if not given).
        #[arg(long, default_value = "")]
        week_of: String,
    },
    /// A project's bookings from the last week on.
    Bookings {
        #[arg(long)]
        project: i64,
    },
    /// Book devices for a project, in whole hours from a UTC hour.
    Book {
        #[arg(long)]
        project: i64,
        #[arg(long)]
        model: String,
        #[arg(long, default_value_t = 1)]
        count: u32,
        /// YYYY-MM-DD
        #[arg(long)]
        date: String,
        /// 0 to 23, UTC
        #[arg(long)]
        start_hour: u32,
        #[arg(long)]
        hours: u32,
        #[arg(long)]
        purpose: String,
    },
    /// Move a booking or change how many devices it holds.
    Change {
        id: i64,
        /// How many devices (as many as now if not given).
        #[arg(long)]
        count: Option<u32>,
        /// YYYY-MM-DD
        #[arg(long)]
        date: String,
        /// 0 to 23, UTC
        #[arg(long)]
        start_hour: u32,
        #[arg(long)]
        hours: u32,
    },
    /// Cancel a booking; its devices are free at once.
    Cancel { id: i64 },
    /// A project's booked, used and released device-hours per week.
    Use {
        #[arg(long)]
        project: i64,
        #[arg(long, default_value = "")]
        weeks: String,
    },
    /// Every device type's booked and used device-hours per week (operators).
    Utilisation {
        #[arg(long, default_value = "")]
        weeks: String,
    },
}

/// Why a command did not do what was asked, as the person should read it.
struct Refused(String);

struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, Refused> {
        let url = format!("{}{path}", self.base.trim_end_matches('/'));
        let mut req = self.http.request(method, &url).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| Refused(format!("could not reach the portal at {}: {e}", self.base)))?;
        let status = resp.status();
        let text = resp
            .text()
            .await
            .map_err(|e| Refused(format!("the portal's answer was cut off: {e}")))?;
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if status.is_success() {
            return Ok(value);
        }
        Err(Refused(refusal(status.as_u16(), &value)))
    }
}

/// The API's error shape, `{"error": {"message", "fields"}}`, as lines a person reads.
fn refusal(status: u16, v: &Value) -> String {
    let err = &v["error"];
    let mut out = match err["message"].as_str() {
        Some(m) => format!("refused ({status}): {m}"),
        None => format!("refused ({status}): {v}"),
    };
    if let Some(fields) = err["fields"].as_object() {
        for (field, why) in fields {
            out.push_str(&format!(
                "\n  {field}: {}",
                why.as_str().unwrap_or_default()
            ));
        }
    }
    out
}

fn query(pairs: &[(&str, &str)]) -> String {
    let kept: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| {
            format!(
                "{k}={}",
                url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
            )
        })
        .collect();
    if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    }
}

fn utc(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[weekday repr:short] [year]-[month]-[day] [hour]:[minute]"
            ))
            .ok()
        })
        .unwrap_or_else(|| secs.to_string())
}

fn booking_line(b: &Value) -> String {
    let state = b["state"].as_str().unwrap_or_default();
    let reason = b["reason"].as_str().unwrap_or_default();
    format!(
        "#{:<5} {:<24} {} × {:<20} {} to {} UTC  {state}{}",
        b["id"],
        b["project_name"].as_str().unwrap_or_default(),
        b["count"],
        b["model"].as_str().unwrap_or_default(),
        utc(b["starts_at"].as_i64().unwrap_or_default()),
        utc(b["ends_at"].as_i64().unwrap_or_default()),
        if reason.is_empty() {
            String::new()
        } else {
            format!(" ({reason})")
        }
    )
}

fn print_bookings(list: &Value) {
    match list.as_array() {
        Some(items) if !items.is_empty() => {
            items.iter().for_each(|b| println!("{}", booking_line(b)))
        }
        _ => println!("No bookings."),
    }
}

fn print_week(w: &Value) {
    println!(
        "{}: {} in service, week from {} UTC. Devices free each hour:",
        w["model"].as_str().unwrap_or_default(),
        w["devices"],
        utc(w["week_start"].as_i64().unwrap_or_default())
    );
    let hours: String = (0..24).map(|h| format!("{h:>3}")).collect();
    println!("{:<16}{hours}", "");
    for day in w["days"].as_array().into_iter().flatten() {
        let first = day[0]["starts_at"].as_i64().unwrap_or_default();
        let label: String = utc(first).chars().take(14).collect();
        let free: String = day
            .as_array()
            .into_iter()
            .flatten()
            .map(|h| format!("{:>3}", h["free"]))
            .collect();
        println!("{label:<16}{free}");
    }
    println!();
    print_bookings(&w["bookings"]);
}

fn print_use(rows: &Value) {
    println!(
        "{:<16} {:<28} {:>8} {:>8} {:>9}",
        "Week of", "Device type", "Booked", "Used", "Released"
    );
    for r in rows.as_array().into_iter().flatten() {
        println!(
            "{:<16} {:<28} {:>8.1} {:>8.1} {:>9.1}",
            utc(r["week_start"].as_i64().unwrap_or_default())
                .chars()
                .take(14)
                .collect::<String>(),
            r["model"].as_str().unwrap_or_default(),
            r["booked_hours"].as_f64().unwrap_or_default(),
            r["used_hours"].as_f64().unwrap_or_default(),
            r["released_hours"].as_f64().unwrap_or_default()
        );
    }
}

fn print_utilisation(models: &Value) {
    for m in models.as_array().into_iter().flatten() {
        println!(
            "{} ({} devices, {} device-hours a week)",
            m["model"].as_str().unwrap_or_default(),
            m["devices"],
            m["capacity_hours"]
        );
        println!(
            "  {:<16} {:>8} {:>8} {:>9} {:>7}",
            "Week of", "Booked", "Used", "Released", "Used %"
        );
        for w in m["weeks"].as_array().into_iter().flatten() {
            println!(
                "  {:<16} {:>8.1} {:>8.1} {:>9.1} {:>6}%",
                utc(w["week_start"].as_i64().unwrap_or_default())
                    .chars()
                    .take(14)
                    .collect::<String>(),
                w["booked_hours"].as_f64().unwrap_or_default(),
                w["used_hours"].as_f64().unwrap_or_default(),
                w["released_hours"].as_f64().unwrap_or_default(),
                w["used_percent"]
            );
        }
    }
}

async fn run(cli: Cli) -> Result<(), Refused> {
    use reqwest::Method;
    let api = Api {
        http: reqwest::Client::new(),
        base: cli.url,
        token: cli.token,
    };
    let (value, show): (Value, fn(&Value)) = match cli.command {
        Command::Models => (
            api.call(Method::GET, "/api/v1/accelerators", None).await?,
            |v| {
                for m in v.as_array().into_iter().flatten() {
                    println!(
                        "{:<28} {:<4} {} in service, at most {} in one booking",
                        m["model"].as_str().unwrap_or_default(),
                        m["kind"].as_str().unwrap_or_default().to_uppercase(),
                        m["devices"],
                        m["most_on_one_host"]
                    );
                }
            },
        ),
        Command::Week { model, week_of } => (
            api.call(
                Method::GET,
                &format!("/api/v1/accelerators/week{}", query(&[("model", &model), ("week_of", &week_of)])),
                None,
            )
            .await?,
            print_week,
        ),
        Command::Bookings { project } => (
            api.call(Method::GET, &format!("/api/v1/projects/{project}/bookings"), None)
                .await?,
            print_bookings,
        ),
        Command::Book { project, model, count, date, start_hour, hours, purpose } => (
            api.call(
                Method::POST,
                &format!("/api/v1/projects/{project}/bookings"),
                Some(json!({ "model": model, "count": count, "date": date, "start_hour": start_hour, "hours": hours, "purpose": purpose })),
            )
            .await?,
            |b| println!("Booked: {}", booking_line(b)),
        ),
        Command::Change { id, count, date, start_hour, hours } => {
            let count = match count {
                Some(n) => Value::from(n),
                None => api.call(Method::GET, &format!("/api/v1/bookings/{id}"), None).await?["count"].clone(),
            };
            (api.call(
                Method::PUT,
                &format!("/api/v1/bookings/{id}"),
                Some(json!({ "count": count, "date": date, "start_hour": start_hour, "hours": hours })),
            )
            .await?,
            |b| println!("Changed: {}", booking_line(b)),
        )
        }
        Command::Cancel { id } => (
            api.call(Method::POST, &format!("/api/v1/bookings/{id}/cancel"), None)
                .await?,
            |b| println!("Cancelled: {}", booking_line(b)),
        ),
        Command::Use { project, weeks } => (
            api.call(
                Method::GET,
                &format!("/api/v1/projects/{project}/accelerator-use{}", query(&[("weeks", &weeks)])),
                None,
            )
            .await?,
            print_use,
        ),
        Command::Utilisation { weeks } => (
            api.call(
                Method::GET,
                &format!("/api/v1/accelerators/utilisation{}", query(&[("weeks", &weeks)])),
                None,
            )
            .await?,
            print_utilisation,
        ),
    };
    if cli.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
    } else {
        show(&value);
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Refused(why)) => {
            eprintln!("campus: {why}");
            ExitCode::FAILURE
        }
    }
}
