//! Client overhead: 10,000 calls at concurrency 32 to the same sandbox route (Telegram `sendMessage`), through the
//! Telegram client (retry layer + rate limiter + classification + tracing spans) and through plain reqwest, in the
//! same run. Prints calls/s and p50/p95 per round. Run: `cargo bench -p leadgen-providers --bench overhead`.

use leadgen_providers::telegram::Telegram;
use leadgen_providers::HttpPolicy;
use secrecy::SecretString;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CALLS: usize = 10_000;
const CONCURRENCY: usize = 32;
const TOKEN: &str = "123456:AAbenchToken";

struct Figures {
    calls_per_sec: f64,
    p50: Duration,
    p95: Duration,
}

async fn run<F, Fut>(calls: usize, call: F) -> Figures
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let call = Arc::new(call);
    let next = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let call = call.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < calls {
                let s = Instant::now();
                call().await;
                lat.push(s.elapsed());
            }
            lat
        }));
    }
    let mut all = Vec::with_capacity(calls);
    for t in tasks {
        all.extend(t.await.unwrap_or_default());
    }
    let took = t0.elapsed();
    all.sort();
    let at = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
    Figures {
        calls_per_sec: calls as f64 / took.as_secs_f64(),
        p50: at(0.50),
        p95: at(0.95),
    }
}

fn show(name: &str, f: &Figures) {
    println!(
        "{name:<28} {:>9.0} calls/s   p50 {:>7.3} ms   p95 {:>7.3} ms",
        f.calls_per_sec,
        f.p50.as_secs_f64() * 1e3,
        f.p95.as_secs_f64() * 1e3
    );
}

#[allow(clippy::unwrap_used, clippy::expect_used)]
fn main() {
    let sim = provider_sim::spawn(1);
    let base = sim.url("telegram");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let policy = HttpPolicy {
            rate_per_second: 1_000_000,
            burst: 1_000_000,
            ..HttpPolicy::default()
        };
        let client = Telegram::new(&base, SecretString::from(TOKEN), policy).expect("client");
        let plain = reqwest::Client::new();
        let url = format!("{base}/bot{TOKEN}/sendMessage");
        let body = json!({"chat_id": "42", "text": "hello"});

        let through_client = {
            let client = client.clone();
            move || {
                let client = client.clone();
                async move {
                    client
                        .send_message("42", "hello", None)
                        .await
                        .expect("client call");
                }
            }
        };
        let through_reqwest = {
            let (plain, url, body) = (plain.clone(), url.clone(), body.clone());
            move || {
                let (plain, url, body) = (plain.clone(), url.clone(), body.clone());
                async move {
                    let res = plain
                        .post(&url)
                        .json(&body)
                        .send()
                        .await
                        .expect("plain call");
                    let v: Value = res.json().await.expect("plain body");
                    assert_eq!(v["ok"], true);
                }
            }
        };
        // Warm both paths (connections, allocator), then alternate rounds so drift hits both alike.
        run(500, through_reqwest.clone()).await;
        run(500, through_client.clone()).await;
        println!("{CALLS} calls at concurrency {CONCURRENCY} to /telegram/bot…/sendMessage");
        let mut c_rates = Vec::new();
        let mut p_rates = Vec::new();
        for round in 1..=2 {
            let p = run(CALLS, through_reqwest.clone()).await;
            show(&format!("plain reqwest (round {round})"), &p);
            let c = run(CALLS, through_client.clone()).await;
            show(&format!("client+retry+limiter ({round})"), &c);
            p_rates.push(p.calls_per_sec);
            c_rates.push(c.calls_per_sec);
        }
        let p: f64 = p_rates.iter().sum::<f64>() / p_rates.len() as f64;
        let c: f64 = c_rates.iter().sum::<f64>() / c_rates.len() as f64;
        println!(
            "overhead of the layers: {:+.1} % calls/s",
            (c - p) / p * 100.0
        );
    });
}
