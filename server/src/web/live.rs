//! Server-sent events for a request's page: one message each time a step is recorded or a job
//! starts or ends, so the page refreshes itself while provisioning runs.

use crate::auth::actor::Acting;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use campus_core::services::resources;
use std::time::Duration;

/// GET /requests/{id}/events. Checks access once when the stream opens (it ends within the
/// hour), then polls the request's progress marker with one query.
pub async fn request_events(
    State(state): State<AppState>,
    Acting(actor): Acting,
    Path(id): Path<i64>,
) -> Response {
    let watch = match resources::watch(&state.db, actor.as_ref(), id).await {
        Ok(w) => w,
        Err(e) => return crate::web::flash::refused(e),
    };
    let first = match watch.marker(&state.db).await {
        Ok(m) => m,
        Err(e) => return crate::web::flash::refused(e),
    };
    let db = state.db.clone();
    let stream = async_stream(move |tx| async move {
        // The first message says where things stand now: a step recorded between the page's
        // render and this connection would otherwise never reach it.
        if tx
            .send(Event::default().event("message").data(first.to_string()))
            .await
            .is_err()
        {
            return;
        }
        let mut last = first;
        // Stop after an hour; the browser reconnects if the page is still open.
        for _ in 0..(3600 * 4) {
            tokio::time::sleep(Duration::from_millis(250)).await;
            match watch.marker(&db).await {
                Ok(m) if m != last => {
                    last = m;
                    if tx
                        .send(Event::default().event("message").data(m.to_string()))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Ok(_) => {}
                Err(_) => return,
            }
        }
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// A stream fed by a task through a channel, ending when the task does.
fn async_stream<F, Fut>(
    f: F,
) -> impl futures_util::Stream<Item = Result<Event, std::convert::Infallible>>
where
    F: FnOnce(tokio::sync::mpsc::Sender<Event>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    tokio::spawn(f(tx));
    futures_util::stream::unfold(
        rx,
        |mut rx| async move { rx.recv().await.map(|e| (Ok(e), rx)) },
    )
}
