//! Client overhead: for each client, 10,000 calls at concurrency 32 to one sandbox route through the client (retry
//! layer + rate limiter + classification + tracing spans + parsing) and through plain reqwest sending the very request
//! the client sent (read back from the sandbox's record: method, path, query, headers, body), in the same run, in
//! alternating rounds. Prints calls/s, p50/p95 and the process's CPU time per call per round, and the layers'
//! cost per client in both measures (calls/s moves with whatever else the machine runs; CPU per call much less).
//! Run: `cargo bench -p leadgen-providers --bench overhead` (`CALLS` to change the 10,000).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a failed call ends the run

use futures_util::future::BoxFuture;
use leadgen_providers::openai::{Message, OpenAi, StructuredRequest};
use leadgen_providers::perplexity::{AnswerRequest, Perplexity};
use leadgen_providers::sidecar::Sidecar;
use leadgen_providers::telegram::Telegram;
use leadgen_providers::HttpPolicy;
use secrecy::SecretString;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CONCURRENCY: usize = 32;
const TOKEN: &str = "123456:AAbenchToken";

type Call = Arc<dyn Fn() -> BoxFuture<'static, ()> + Send + Sync>;

struct Figures {
    calls_per_sec: f64,
    p50: Duration,
    p95: Duration,
    /// CPU time of the whole process (client, sandbox, runtime) per call: what the layers add, even on a machine
    /// busy with other work (which moves calls/s a lot more).
    cpu_us_per_call: f64,
}

/// User + system CPU time of this process so far.
fn cpu_time() -> Duration {
    let mut u = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a rusage into the pointer it is given.
    let u = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, u.as_mut_ptr());
        u.assume_init()
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(u.ru_utime) + tv(u.ru_stime)
}

async fn run(calls: usize, call: Call) -> Figures {
    let next = Arc::new(AtomicUsize::new(0));
    let cpu0 = cpu_time();
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
    let cpu = cpu_time() - cpu0;
    all.sort();
    let at = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
    Figures {
        calls_per_sec: calls as f64 / took.as_secs_f64(),
        p50: at(0.50),
        p95: at(0.95),
        cpu_us_per_call: cpu.as_secs_f64() * 1e6 / calls as f64,
    }
}

fn show(name: &str, f: &Figures) {
    println!(
        "{name:<34} {:>9.0} calls/s   p50 {:>7.3} ms   p95 {:>7.3} ms   CPU {:>6.1} µs/call",
        f.calls_per_sec,
        f.p50.as_secs_f64() * 1e3,
        f.p95.as_secs_f64() * 1e3,
        f.cpu_us_per_call
    );
}

/// Plain reqwest sending what the sandbox last recorded for `provider` (the client's own request).
async fn replay(control: &reqwest::Client, sim_base: &str, provider: &str) -> Call {
    let list: Value = control
        .get(format!("{sim_base}/_sim/requests?provider={provider}"))
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .expect("sim requests")
        .json()
        .await
        .expect("sim requests body");
    let last = list["requests"]
        .as_array()
        .and_then(|a| a.last())
        .cloned()
        .expect("the client's request was recorded");
    let method = reqwest::Method::from_bytes(last["method"].as_str().unwrap_or("GET").as_bytes())
        .expect("method");
    let query = last["query"].as_str().unwrap_or_default();
    let url = format!(
        "{sim_base}{}{}{query}",
        last["path"].as_str().unwrap_or_default(),
        if query.is_empty() { "" } else { "?" }
    );
    let mut headers = reqwest::header::HeaderMap::new();
    for name in ["authorization", "content-type", "x-session-id"] {
        if let Some(v) = last["headers"][name].as_str() {
            headers.insert(name, v.parse().expect("header value"));
        }
    }
    // A JSON body is sent the way a plain reqwest caller would: from a value, serialised on each call.
    let body = last["body"].as_str().unwrap_or_default().to_owned();
    let json_body: Option<Value> = serde_json::from_str(&body).ok();
    let plain = reqwest::Client::new();
    Arc::new(move || {
        let req = plain.request(method.clone(), &url).headers(headers.clone());
        let req = match &json_body {
            Some(v) => req.json(v),
            None => req.body(body.clone()),
        };
        Box::pin(async move {
            let res = req.send().await.expect("plain call");
            assert!(res.status().is_success(), "plain call: {}", res.status());
            let _: Value = res.json().await.expect("plain body");
        })
    })
}

fn main() {
    let calls: usize = std::env::var("CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let sim = provider_sim::spawn(1);
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
        let key = || SecretString::from("sk-bench-key-0000");
        let telegram = Telegram::new(&sim.url("telegram"), SecretString::from(TOKEN), policy.clone())
            .expect("telegram");
        let openai = OpenAi::new(&sim.url("openai"), key(), policy.clone()).expect("openai");
        let perplexity =
            Perplexity::new(&sim.url("perplexity"), key(), policy.clone()).expect("perplexity");
        let sidecar = Sidecar::new(&sim.url("sidecar"), policy.clone()).expect("sidecar");
        let schema = json!({"type": "object", "properties": {"ok": {"type": "boolean"}},
            "required": ["ok"], "additionalProperties": false});
        let cases: Vec<(&str, &str, Call)> = vec![
            ("telegram sendMessage", "telegram", {
                let c = telegram.clone();
                Arc::new(move || {
                    let c = c.clone();
                    Box::pin(async move {
                        c.send_message("42", "hello", None).await.expect("telegram");
                    })
                })
            }),
            ("openai structured", "openai", {
                let (c, schema) = (openai.clone(), schema.clone());
                Arc::new(move || {
                    let (c, r) = (
                        c.clone(),
                        StructuredRequest {
                            messages: vec![Message::user("Answer ok.")],
                            schema_name: "bench".into(),
                            schema: schema.clone(),
                            model: None,
                            temperature: None,
                            max_completion_tokens: Some(16),
                        },
                    );
                    Box::pin(async move {
                        c.structured::<Value>(&r).await.expect("openai");
                    })
                })
            }),
            ("perplexity answer", "perplexity", {
                let (c, schema) = (perplexity.clone(), schema.clone());
                Arc::new(move || {
                    let (c, r) = (
                        c.clone(),
                        AnswerRequest {
                            messages: vec![Message::user("Find the contact of lead_1.")],
                            schema: schema.clone(),
                            model: None,
                            search_recency_filter: None,
                            search_domain_filter: vec![],
                        },
                    );
                    Box::pin(async move {
                        c.answer::<Value>(&r).await.expect("perplexity");
                    })
                })
            }),
            ("sidecar version", "sidecar", {
                let c = sidecar.clone();
                Arc::new(move || {
                    let c = c.clone();
                    Box::pin(async move {
                        c.version().await.expect("sidecar");
                    })
                })
            }),
        ];
        let control = reqwest::Client::new();
        let sim_base = sim.base_url();
        println!("{calls} calls per round at concurrency {CONCURRENCY}, through the client and as the same request through plain reqwest");
        let mut summary = Vec::new();
        for (name, provider, through_client) in cases {
            // One call through the client, then the same request without it; warm both (connections, allocator).
            through_client().await;
            let through_reqwest = replay(&control, &sim_base, provider).await;
            run(500, through_reqwest.clone()).await;
            run(500, through_client.clone()).await;
            let (mut c_rates, mut p_rates) = (Vec::new(), Vec::new());
            let (mut c_cpu, mut p_cpu) = (Vec::new(), Vec::new());
            for round in 1..=2 {
                let p = run(calls, through_reqwest.clone()).await;
                show(&format!("{name}: plain ({round})"), &p);
                let c = run(calls, through_client.clone()).await;
                show(&format!("{name}: client ({round})"), &c);
                p_rates.push(p.calls_per_sec);
                c_rates.push(c.calls_per_sec);
                p_cpu.push(p.cpu_us_per_call);
                c_cpu.push(c.cpu_us_per_call);
            }
            // The sandbox keeps every request: clear them between clients.
            let _ = control.delete(format!("{sim_base}/_sim/requests")).send().await;
            let p: f64 = p_rates.iter().sum::<f64>() / p_rates.len() as f64;
            let c: f64 = c_rates.iter().sum::<f64>() / c_rates.len() as f64;
            let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
            let (pc, cc) = (mean(&p_cpu), mean(&c_cpu));
            summary.push((name, (c - p) / p * 100.0, (cc - pc) / pc * 100.0));
        }
        for (name, pct, cpu) in summary {
            println!(
                "overhead of the layers, {name:<22} {pct:+.1} % calls/s, {cpu:+.1} % CPU per call"
            );
        }
    });
}
