//! The shared layer's timing: Retry-After honoured to within 10 %, no wait past the deadline, backoff between
//! retries, and the rate limiter. Real time against a real server, so the assertions are ranges.

use crate::common::{policy, secret, Sim};
use leadgen_providers::openai::OpenAi;
use leadgen_providers::telegram::Telegram;
use leadgen_providers::{HttpPolicy, ProviderErrorKind};
use std::time::{Duration, Instant};

#[tokio::test]
async fn retry_after_is_honoured_to_within_ten_percent() {
    let sim = Sim::start();
    let tg = sim.telegram();
    for secs in [1u64, 2] {
        sim.reset().await;
        sim.fault("telegram", "send_message", "rate_limited", 1, secs).await;
        let t0 = Instant::now();
        tg.send_message("42", "hi", None).await.unwrap();
        let took = t0.elapsed();
        let wanted = Duration::from_secs(secs);
        assert!(took >= wanted, "waited {took:?}, asked {wanted:?}");
        assert!(took <= wanted.mul_f64(1.10), "waited {took:?}, asked {wanted:?}");
        assert_eq!(sim.count("telegram", "send_message").await, 2);
    }
}

#[tokio::test]
async fn retry_after_is_honoured_on_every_provider_shape() {
    // OpenAI's 429 (header only) and Apify's (header) — one second each, within 10 %.
    let sim = Sim::start();
    sim.fault("openai", "chat_completions", "rate_limited", 1, 1).await;
    let t0 = Instant::now();
    let r = crate::ai::ask_openai(&sim.openai()).await;
    let took = t0.elapsed();
    assert!(r.is_ok(), "{r:?}");
    assert!(took >= Duration::from_secs(1) && took <= Duration::from_millis(1100), "{took:?}");
    sim.fault("apify", "run_sync", "rate_limited", 1, 1).await;
    let t0 = Instant::now();
    sim.apify().scrape_profiles(&["anna".into()]).await.unwrap();
    let took = t0.elapsed();
    assert!(took >= Duration::from_secs(1) && took <= Duration::from_millis(1100), "{took:?}");
}

#[tokio::test]
async fn a_retry_after_longer_than_allowed_fails_at_once_with_the_wait() {
    let sim = Sim::start();
    sim.fault("telegram", "send_message", "rate_limited", 0, 30).await;
    let t0 = Instant::now();
    let e = sim.telegram().send_message("42", "hi", None).await.unwrap_err();
    assert!(t0.elapsed() < Duration::from_millis(500), "{:?}", t0.elapsed());
    assert_eq!(e.kind, ProviderErrorKind::RateLimited);
    assert_eq!(e.retry_after, Some(Duration::from_secs(30)));
    assert_eq!((e.attempts, sim.count("telegram", "send_message").await), (1, 1));
    // The app's error carries the wait for its own Retry-After.
    let api = leadgen_core::ApiError::from(e);
    assert_eq!(api.code.as_str(), "provider_rate_limited");
    assert_eq!(api.retry_after_secs, Some(30));
}

#[tokio::test]
async fn a_hanging_provider_never_holds_a_call_past_its_deadline() {
    let sim = Sim::start();
    sim.fault("openai", "chat_completions", "timeout", 0, 0).await;
    let p = HttpPolicy {
        attempt_timeout: Duration::from_millis(400),
        deadline: Duration::from_millis(1000),
        max_retries: 10,
        ..policy()
    };
    let client = OpenAi::new(&sim.url("openai"), secret("sk-x-123456"), p).unwrap();
    let t0 = Instant::now();
    let e = crate::ai::ask_openai(&client).await.unwrap_err();
    let took = t0.elapsed();
    assert_eq!(e.kind, ProviderErrorKind::Transient, "{e}");
    assert!(took <= Duration::from_millis(1200), "took {took:?}");
    assert!(e.attempts >= 2, "{e}");
}

#[tokio::test]
async fn backoff_waits_between_retries_and_grows() {
    let sim = Sim::start();
    sim.fault("telegram", "send_message", "server_error", 0, 0).await;
    let p = HttpPolicy {
        backoff_base: Duration::from_millis(200),
        backoff_max: Duration::from_secs(5),
        max_retries: 2,
        ..policy()
    };
    let tg = Telegram::new(&sim.url("telegram"), secret("1:AAtoken-xyz"), p).unwrap();
    let t0 = Instant::now();
    let e = tg.send_message("42", "hi", None).await.unwrap_err();
    let took = t0.elapsed();
    assert_eq!((e.kind, e.attempts), (ProviderErrorKind::Transient, 3));
    // Waits: [100, 200] ms then [200, 400] ms.
    assert!(took >= Duration::from_millis(300) && took < Duration::from_millis(900), "{took:?}");
}

#[tokio::test]
async fn the_rate_limiter_spaces_calls() {
    let sim = Sim::start();
    let p = HttpPolicy {
        rate_per_second: 5,
        burst: 1,
        ..policy()
    };
    let tg = Telegram::new(&sim.url("telegram"), secret("1:AAtoken-xyz"), p).unwrap();
    let t0 = Instant::now();
    for _ in 0..6 {
        tg.send_message("42", "hi", None).await.unwrap();
    }
    // One at once, then one every 200 ms.
    assert!(t0.elapsed() >= Duration::from_millis(950), "{:?}", t0.elapsed());
    // Clones share the limiter.
    let other = tg.clone();
    let t0 = Instant::now();
    tg.send_message("42", "a", None).await.unwrap();
    other.send_message("42", "b", None).await.unwrap();
    assert!(t0.elapsed() >= Duration::from_millis(150), "{:?}", t0.elapsed());
}
