//! `provider-sim`: a wire-compatible sandbox for every provider leadgen talks to (Instagram, Apify, Perplexity,
//! OpenAI, Google OAuth + Gmail, the aiograpi-rest sidecar, Telegram) on one port, with data from a seed, the
//! state the real services keep, and a control API under `/_sim/` for tests (recorded requests, faults, flags).
//! See README.md for the routes; the interface is `/work/briefs/SIM_INTERFACE.md`.

mod control;
/// The seeded data (profiles, hashtag posts): what tests expect the sandbox to answer.
pub mod data;
mod errors;
mod http;
mod providers;
mod state;

use actix_web::dev::ServerHandle;
use actix_web::web::{self, Bytes};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer};
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

pub use state::Sim;

use crate::http::{Reply, Req};
use crate::state::Recorded;

async fn dispatch(req: HttpRequest, body: Bytes, sim: web::Data<Arc<Sim>>) -> HttpResponse {
    let mut r = Req::from_actix(&req, body);
    if r.path == "/_sim" || r.path.starts_with("/_sim/") {
        return control::handle(&sim, &r).await.into_response().await;
    }
    let trimmed = r.path.trim_start_matches('/').to_string();
    let (prefix, rest) = match trimmed.split_once('/') {
        Some((p, rest)) => (p.to_string(), format!("/{rest}")),
        None => (trimmed.clone(), "/".to_string()),
    };
    let Some(provider) = providers::provider_of_prefix(&prefix) else {
        return Reply::text(
            404,
            format!("provider-sim: no provider is mounted at /{prefix}"),
            "text/plain",
        )
        .into_response()
        .await;
    };
    r.rest = rest;
    let route = providers::route_of(&prefix, &r.method, &r.rest);
    let (early, slow) = {
        let mut st = sim.lock();
        st.requests.push(Recorded {
            provider: provider.to_string(),
            route: route.unwrap_or("unknown").to_string(),
            method: r.method.clone(),
            path: r.path.clone(),
            query: r.query_string.clone(),
            headers: r.headers.iter().fold(BTreeMap::new(), |mut m, (k, v)| {
                m.entry(k.clone())
                    .and_modify(|e: &mut String| {
                        e.push_str(", ");
                        e.push_str(v);
                    })
                    .or_insert_with(|| v.clone());
                m
            }),
            body: r.body_text(),
            at: providers::now_rfc3339(),
        });
        match route {
            None => (Some(providers::not_found(&st, provider, "unknown")), None),
            Some(route) => match st.take_fault(provider, route) {
                Some(f) => match errors::fault_reply(provider, route, &f, &st.flags) {
                    Some(reply) => (Some(reply), None),
                    None => (None, Some(f.delay_ms)),
                },
                None => (None, None),
            },
        }
    };
    if let Some(reply) = early {
        return reply.into_response().await;
    }
    if let Some(ms) = slow {
        actix_web::rt::time::sleep(Duration::from_millis(ms)).await;
    }
    let route = route.unwrap_or("unknown");
    let reply = {
        let mut st = sim.lock();
        providers::handle(&mut st, provider, route, &r)
    };
    reply.into_response().await
}

/// The actix server for a bound listener (the binary runs it; `spawn` runs it on a thread of its own).
pub fn server(listener: TcpListener, seed: u64) -> std::io::Result<actix_web::dev::Server> {
    let sim = web::Data::new(Arc::new(Sim::new(seed)));
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(sim.clone())
            .app_data(web::PayloadConfig::new(32 << 20))
            .default_service(web::to(dispatch))
    })
    .workers(2)
    .shutdown_timeout(1)
    .disable_signals()
    .listen(listener)?
    .run())
}

/// A sandbox running on loopback for a test; dropping it stops it.
pub struct SimHandle {
    addr: SocketAddr,
    handle: ServerHandle,
}

impl SimHandle {
    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The base URL of one provider, e.g. `url("openai")` → `http://127.0.0.1:PORT/openai`.
    pub fn url(&self, prefix: &str) -> String {
        format!("{}/{}", self.base_url(), prefix.trim_matches('/'))
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        // The stop command is sent at once; nothing needs to wait for it.
        drop(self.handle.stop(false));
    }
}

/// Starts a sandbox on 127.0.0.1 (a free port) on its own thread and runtime.
///
/// # Panics
/// When no loopback port can be bound or the thread cannot start (a test set-up failure).
#[allow(clippy::expect_used)]
pub fn spawn(seed: u64) -> SimHandle {
    spawn_at("127.0.0.1:0", seed).expect("provider-sim: start on 127.0.0.1:0")
}

/// Starts a sandbox on `bind` (e.g. `127.0.0.1:8900` for a demo) on its own thread and runtime.
pub fn spawn_at(bind: &str, seed: u64) -> std::io::Result<SimHandle> {
    let listener = TcpListener::bind(bind)?;
    let addr = listener.local_addr()?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("provider-sim".into())
        .spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                match server(listener, seed) {
                    Ok(srv) => {
                        let _ = tx.send(Ok(srv.handle()));
                        let _ = srv.await;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                    }
                }
            })
        })?;
    let handle = rx.recv().map_err(|_| {
        std::io::Error::other("provider-sim: the server thread ended before it started")
    })??;
    Ok(SimHandle { addr, handle })
}
