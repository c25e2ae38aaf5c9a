//! The job engine on the backend under test: enqueue in the caller's transaction, claims with leases and fencing
//! tokens, retries with backoff, snooze, unique keys, periodic ticks with two schedulers, cancel, pruning and the
//! rescuer, and the workers running the test kinds. Time moves by the app's clock, never by sleeping; waiting
//! for workers polls the database with a generous limit.

use leadgen_api_tests::*;
use leadgen_core::ApiError;
use leadgen_db::models::effect::Effect;
use leadgen_db::models::job::{self, Enqueued, Failed, Job, JobFilter, Lease, NewJob};
use leadgen_db::write_tx;
use serde_json::json;
use std::time::Duration;

/// A queue no worker serves: jobs there move only when the test moves them.
const MANUAL: &str = "manual";

async fn app_with_test_kinds() -> TestApp {
    spawn_app_with(|s| {
        s.jobs_test_kinds = true;
        s.jobs_poll_ms = 200;
    })
    .await
}

fn secs(n: i64) -> chrono::Duration {
    chrono::Duration::seconds(n)
}

fn manual(kind: &str) -> NewJob {
    NewJob::new(kind, json!({})).queue(MANUAL)
}

/// The jobs of the manual queue (the app's own periodic jobs are elsewhere).
fn in_manual() -> JobFilter {
    JobFilter {
        queue: Some(MANUAL.into()),
        ..JobFilter::default()
    }
}

/// Polls until `f` holds (workers run on their own threads); panics after 30 s.
async fn until<F: FnMut(&mut leadgen_db::DbConn) -> bool>(app: &TestApp, what: &str, mut f: F) {
    for _ in 0..600 {
        let ok = {
            let mut c = app.state.db.get().unwrap();
            f(&mut c)
        };
        if ok {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for: {what}");
}

fn state_of(c: &mut leadgen_db::DbConn, id: &str) -> String {
    Job::get(c, id).unwrap().state
}

#[tokio::test]
async fn a_job_enqueued_in_a_rolled_back_write_does_not_exist() {
    let app = spawn_app().await;
    let mut c = app.state.db.get().unwrap();
    let now = app.state.clock.now();
    let failed: Result<(), ApiError> = write_tx(&mut c, |c| {
        Job::enqueue(c, &manual("x.rolled_back"), now)?;
        Err(ApiError::msg(
            leadgen_core::ErrorCode::Conflict,
            "the write failed",
        ))
    });
    assert!(failed.is_err());
    let kept = write_tx(&mut c, |c| Job::enqueue(c, &manual("x.committed"), now)).unwrap();
    let all = Job::list(&mut c, &in_manual()).unwrap();
    let kinds: Vec<&str> = all.iter().map(|j| j.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["x.committed"],
        "only the committed write's job exists"
    );
    assert_eq!(
        (
            kept.job().state.as_str(),
            kept.job().attempt,
            kept.job().token
        ),
        ("available", 0, 0)
    );
}

#[tokio::test]
async fn a_failed_attempt_is_retried_after_a_growing_backoff_then_discarded() {
    let app = spawn_app().await;
    let mut c = app.state.db.get().unwrap();
    let t0 = app.state.clock.now();
    let id = Job::enqueue(&mut c, &manual("x.fails").max_attempts(3), t0)
        .unwrap()
        .job()
        .id
        .clone();
    let mut at = t0;
    let mut delays = vec![];
    for attempt in 1..=3 {
        let claimed = Job::claim(&mut c, MANUAL, "w", 10, None, at + secs(60), at).unwrap();
        assert_eq!(
            claimed.len(),
            1,
            "attempt {attempt} is claimable at its run_at"
        );
        let j = &claimed[0];
        assert_eq!((j.attempt, j.token), (attempt, i64::from(attempt)));
        match Job::fail(&mut c, j, "boom", true, at).unwrap() {
            Failed::Retry { run_at } => {
                let delay = (run_at - at).num_milliseconds();
                delays.push(delay);
                assert!(
                    Job::claim(
                        &mut c,
                        MANUAL,
                        "w",
                        10,
                        None,
                        at + secs(60),
                        run_at - secs(1)
                    )
                    .unwrap()
                    .is_empty(),
                    "not claimable before its backoff ends"
                );
                assert_eq!(state_of(&mut c, &id), "retryable");
                at = run_at;
            }
            Failed::Discarded => {
                assert_eq!(attempt, 3, "discarded only when out of attempts");
            }
            Failed::Lost => panic!("the token was current"),
        }
    }
    // 15 s then 30 s, each ±20 %.
    assert!((12_000..=18_000).contains(&delays[0]), "{delays:?}");
    assert!((24_000..=36_000).contains(&delays[1]), "{delays:?}");
    let j = Job::get(&mut c, &id).unwrap();
    assert_eq!(
        (j.state.as_str(), j.attempt, j.last_error.as_deref()),
        ("discarded", 3, Some("boom"))
    );
    assert!(j.finished_at.is_some());
}

#[tokio::test]
async fn workers_retry_a_failing_job_when_its_backoff_has_passed() {
    let app = app_with_test_kinds().await;
    let id = {
        let mut c = app.state.db.get().unwrap();
        app.state
            .jobs
            .enqueue(
                &mut c,
                &NewJob::new(
                    leadgen_server::jobs::testing::FLAKY,
                    json!({"fail_times": 1}),
                ),
            )
            .unwrap()
            .job()
            .id
            .clone()
    };
    until(&app, "the first attempt failed", |c| {
        state_of(c, &id) == "retryable"
    })
    .await;
    let j = Job::get(&mut app.state.db.get().unwrap(), &id).unwrap();
    assert!(j.last_error.unwrap().contains("planned failure 1 of 1"));
    // Nothing happens until the backoff (at most 18 s) has passed on the app's clock.
    app.state.clock.advance(Duration::from_secs(19));
    until(&app, "the retry completed", |c| {
        state_of(c, &id) == "completed"
    })
    .await;
    let j = Job::get(&mut app.state.db.get().unwrap(), &id).unwrap();
    assert_eq!(j.attempt, 2);
}

#[tokio::test]
async fn a_snoozed_job_runs_again_later_without_using_an_attempt() {
    let app = app_with_test_kinds().await;
    let mut c = app.state.db.get().unwrap();
    let t0 = app.state.clock.now();
    let id = Job::enqueue(&mut c, &manual("x.snoozes").max_attempts(1), t0)
        .unwrap()
        .job()
        .id
        .clone();
    let j = Job::claim(&mut c, MANUAL, "w", 1, None, t0 + secs(60), t0)
        .unwrap()
        .remove(0);
    assert!(Job::snooze(&mut c, &id, j.token, t0 + secs(47)).unwrap());
    let s = Job::get(&mut c, &id).unwrap();
    assert_eq!((s.state.as_str(), s.attempt), ("scheduled", 0));
    assert!(
        Job::claim(&mut c, MANUAL, "w", 1, None, t0 + secs(60), t0 + secs(46))
            .unwrap()
            .is_empty()
    );
    let again = Job::claim(&mut c, MANUAL, "w", 1, None, t0 + secs(107), t0 + secs(47)).unwrap();
    assert_eq!(
        (again.len(), again[0].attempt),
        (1, 1),
        "its only attempt is still there"
    );
    drop(c);

    // Through the workers: the test kind snoozes 30 s once, then completes.
    let id = {
        let mut c = app.state.db.get().unwrap();
        app.state
            .jobs
            .enqueue(
                &mut c,
                &NewJob::new(leadgen_server::jobs::testing::SNOOZE, json!({"secs": 30}))
                    .max_attempts(1),
            )
            .unwrap()
            .job()
            .id
            .clone()
    };
    until(&app, "snoozed", |c| state_of(c, &id) == "scheduled").await;
    app.state.clock.advance(Duration::from_secs(31));
    until(&app, "completed after the snooze", |c| {
        state_of(c, &id) == "completed"
    })
    .await;
}

#[tokio::test]
async fn a_unique_key_allows_one_active_job_per_kind() {
    let app = spawn_app().await;
    let mut c = app.state.db.get().unwrap();
    let now = app.state.clock.now();
    let refresh = || manual("x.refresh").unique_key("account:1");
    let first = Job::enqueue(&mut c, &refresh(), now).unwrap();
    let second = Job::enqueue(&mut c, &refresh(), now).unwrap();
    assert!(first.inserted());
    assert!(matches!(&second, Enqueued::Duplicate(j) if j.id == first.job().id));
    let other_kind = Job::enqueue(&mut c, &manual("x.other").unique_key("account:1"), now).unwrap();
    assert!(other_kind.inserted(), "keys are per kind");
    // Running still holds the key; finished frees it.
    let j = Job::claim(&mut c, MANUAL, "w", 1, None, now + secs(60), now)
        .unwrap()
        .remove(0);
    assert_eq!(j.id, first.job().id);
    assert!(!Job::enqueue(&mut c, &refresh(), now).unwrap().inserted());
    assert!(Job::complete(&mut c, &j.id, j.token, now).unwrap());
    let third = Job::enqueue(&mut c, &refresh(), now).unwrap();
    assert!(third.inserted());
    assert_ne!(third.job().id, first.job().id);
}

#[tokio::test]
async fn a_periodic_tick_is_enqueued_once_by_two_schedulers() {
    use leadgen_server::jobs::engine::{Engine, Options};
    let app = spawn_app().await;
    let scheduler = || {
        Engine::builder(
            app.state.db.clone(),
            app.state.clock.clone(),
            Options::from_settings(&app.settings),
            leadgen_server::jobs::metrics::JobMetrics::new().unwrap(),
        )
        .periodic("sync", Duration::from_secs(3600), |_tick| {
            NewJob::new("x.sync", json!({})).queue(MANUAL)
        })
        .build()
    };
    let (a, b) = (scheduler(), scheduler());
    let mut c = app.state.db.get().unwrap();
    let count = |c: &mut leadgen_db::DbConn| {
        Job::list(
            c,
            &JobFilter {
                kind: Some("x.sync".into()),
                ..JobFilter::default()
            },
        )
        .unwrap()
        .len()
    };
    let enqueued = a.enqueue_ticks(&mut c).unwrap() + b.enqueue_ticks(&mut c).unwrap();
    assert_eq!((enqueued, count(&mut c)), (1, 1));
    // The tick's job runs and finishes; the same tick is still not enqueued again.
    let now = app.state.clock.now();
    let j = Job::claim(&mut c, MANUAL, "w", 1, None, now + secs(60), now)
        .unwrap()
        .remove(0);
    assert!(Job::complete(&mut c, &j.id, j.token, now).unwrap());
    assert_eq!(
        b.enqueue_ticks(&mut c).unwrap() + a.enqueue_ticks(&mut c).unwrap(),
        0
    );
    // The next hour: one more.
    app.state.clock.advance(Duration::from_secs(3600));
    let enqueued = b.enqueue_ticks(&mut c).unwrap() + a.enqueue_ticks(&mut c).unwrap();
    assert_eq!((enqueued, count(&mut c)), (1, 2));
}

#[tokio::test]
async fn cancelling_stops_a_running_job_at_its_next_checkpoint() {
    let app = app_with_test_kinds().await;
    let mut c = app.state.db.get().unwrap();
    // Waiting: cancelled at once.
    let later = NewJob::new(leadgen_server::jobs::testing::NOOP, json!({}))
        .run_at(app.state.clock.now() + secs(3600));
    let waiting = app
        .state
        .jobs
        .enqueue(&mut c, &later)
        .unwrap()
        .job()
        .id
        .clone();
    let j = Job::cancel(&mut c, &waiting, app.state.clock.now())
        .unwrap()
        .unwrap();
    assert_eq!(j.state, "cancelled");
    // Running: asked, and it stops at a checkpoint.
    let id = app
        .state
        .jobs
        .enqueue(
            &mut c,
            &NewJob::new(
                leadgen_server::jobs::testing::STEPS,
                json!({"steps": 100000, "step_ms": 10}),
            ),
        )
        .unwrap()
        .job()
        .id
        .clone();
    drop(c);
    until(&app, "the job reports progress", |c| {
        Job::get(c, &id)
            .unwrap()
            .progress_json()
            .is_some_and(|p| p["done"].as_u64() > Some(2))
    })
    .await;
    let j = Job::cancel(&mut app.state.db.get().unwrap(), &id, app.state.clock.now())
        .unwrap()
        .unwrap();
    assert_eq!((j.state.as_str(), j.cancel_requested), ("running", true));
    until(&app, "cancelled", |c| state_of(c, &id) == "cancelled").await;
    let done = |c: &mut leadgen_db::DbConn| {
        Job::get(c, &id).unwrap().progress_json().unwrap()["done"].as_u64()
    };
    let at_stop = done(&mut app.state.db.get().unwrap());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        done(&mut app.state.db.get().unwrap()),
        at_stop,
        "no step after the stop"
    );
    assert!(at_stop < Some(100000));
}

#[tokio::test]
async fn finished_jobs_are_pruned_after_their_age() {
    let app = spawn_app().await;
    let mut c = app.state.db.get().unwrap();
    let t0 = app.state.clock.now();
    let mut finish = |kind: &str, at: chrono::NaiveDateTime| {
        let id = Job::enqueue(&mut c, &manual(kind), at)
            .unwrap()
            .job()
            .id
            .clone();
        let j = Job::claim(&mut c, MANUAL, "w", 1, None, at + secs(60), at)
            .unwrap()
            .remove(0);
        assert_eq!(j.id, id);
        assert!(Job::complete(&mut c, &id, j.token, at).unwrap());
    };
    finish("x.old", t0 - secs(8 * 86_400));
    finish("x.recent", t0 - secs(86_400));
    Job::enqueue(
        &mut c,
        &manual("x.waiting").run_at(t0 - secs(30 * 86_400)),
        t0 - secs(30 * 86_400),
    )
    .unwrap();
    assert_eq!(Job::prune(&mut c, t0 - secs(7 * 86_400)).unwrap(), 1);
    let mut kinds: Vec<String> = Job::list(&mut c, &in_manual())
        .unwrap()
        .into_iter()
        .map(|j| j.kind)
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        ["x.recent", "x.waiting"],
        "active jobs are never pruned"
    );
}

#[tokio::test]
async fn a_job_past_its_lease_is_rescued_and_the_stale_token_is_refused() {
    let app = spawn_app().await;
    let mut c = app.state.db.get().unwrap();
    let t0 = app.state.clock.now();
    let id = Job::enqueue(&mut c, &manual("x.long").max_attempts(2), t0)
        .unwrap()
        .job()
        .id
        .clone();
    let first = Job::claim(&mut c, MANUAL, "dead", 1, None, t0 + secs(60), t0)
        .unwrap()
        .remove(0);
    // Within the lease nothing is rescued; a heartbeat extends it.
    assert_eq!(Job::rescue(&mut c, t0 + secs(59)).unwrap().retryable, 0);
    assert_eq!(
        Job::heartbeat(&mut c, &id, first.token, t0 + secs(120)).unwrap(),
        Lease::Held { cancel: false }
    );
    assert_eq!(Job::rescue(&mut c, t0 + secs(100)).unwrap().retryable, 0);
    // Past it: back to retryable, claimed by another worker with a new token.
    assert_eq!(Job::rescue(&mut c, t0 + secs(121)).unwrap().retryable, 1);
    let j = Job::get(&mut c, &id).unwrap();
    assert_eq!(j.state, "retryable");
    assert!(j.last_error.unwrap().contains("lease expired"));
    let second = Job::claim(
        &mut c,
        MANUAL,
        "alive",
        1,
        None,
        t0 + secs(300),
        t0 + secs(121),
    )
    .unwrap()
    .remove(0);
    assert!(second.token > first.token);
    // The first worker comes back: every write with its token is refused.
    assert!(!Job::complete(&mut c, &id, first.token, t0 + secs(122)).unwrap());
    assert!(!Job::progress(&mut c, &id, first.token, &json!({"done": 1})).unwrap());
    assert_eq!(
        Job::heartbeat(&mut c, &id, first.token, t0 + secs(500)).unwrap(),
        Lease::Lost
    );
    assert_eq!(
        Job::fail(&mut c, &first, "late", true, t0 + secs(122)).unwrap(),
        Failed::Lost
    );
    assert!(!Job::snooze(&mut c, &id, first.token, t0 + secs(500)).unwrap());
    let j = Job::get(&mut c, &id).unwrap();
    assert_eq!(
        (j.state.as_str(), j.locked_by.as_deref()),
        ("running", Some("alive"))
    );
    // The second worker dies too: out of attempts, the job is discarded, not run a third time.
    let r = Job::rescue(&mut c, t0 + secs(301)).unwrap();
    assert_eq!((r.retryable, r.discarded), (0, 1));
    assert!(!Job::complete(&mut c, &id, second.token, t0 + secs(302)).unwrap());
    assert_eq!(state_of(&mut c, &id), "discarded");
}

#[tokio::test]
async fn a_claim_takes_each_due_job_once_in_priority_order() {
    let app = spawn_app().await;
    let mut c = app.state.db.get().unwrap();
    let t0 = app.state.clock.now();
    for (kind, priority) in [("x.low", 5), ("x.high", 0), ("x.mid", 1)] {
        Job::enqueue(&mut c, &manual(kind).priority(priority), t0).unwrap();
    }
    Job::enqueue(&mut c, &manual("x.later").run_at(t0 + secs(10)), t0).unwrap();
    let a = Job::claim(&mut c, MANUAL, "a", 2, None, t0 + secs(60), t0).unwrap();
    let b = Job::claim(&mut c, MANUAL, "b", 5, None, t0 + secs(60), t0).unwrap();
    let kinds = |v: &[Job]| v.iter().map(|j| j.kind.clone()).collect::<Vec<_>>();
    assert_eq!(kinds(&a), ["x.high", "x.mid"]);
    assert_eq!(kinds(&b), ["x.low"], "scheduled jobs wait for their time");
    // Per-owner limit: one running job per owner.
    let owner = leadgen_db::models::user::User::find_by_username(&mut c, "admin")
        .unwrap()
        .unwrap()
        .id;
    for _ in 0..2 {
        Job::enqueue(
            &mut c,
            &NewJob::new("x.heavy", json!({}))
                .queue("heavy")
                .owner(&owner),
            t0,
        )
        .unwrap();
    }
    let got = Job::claim(&mut c, "heavy", "a", 5, Some(1), t0 + secs(60), t0).unwrap();
    assert_eq!(got.len(), 1);
    assert!(
        Job::claim(&mut c, "heavy", "b", 5, Some(1), t0 + secs(60), t0)
            .unwrap()
            .is_empty()
    );
    assert!(Job::complete(&mut c, &got[0].id, got[0].token, t0).unwrap());
    assert_eq!(
        Job::claim(&mut c, "heavy", "b", 5, Some(1), t0 + secs(60), t0)
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn workers_record_each_effect_once_in_the_ledger() {
    let app = app_with_test_kinds().await;
    let ids: Vec<String> = {
        let mut c = app.state.db.get().unwrap();
        write_tx(&mut c, |c| {
            (0..200)
                .map(|n| {
                    Ok(app
                        .state
                        .jobs
                        .enqueue(
                            c,
                            &NewJob::new(leadgen_server::jobs::testing::LEDGER, json!({"n": n})),
                        )?
                        .job()
                        .id
                        .clone())
                })
                .collect()
        })
        .unwrap()
    };
    until(&app, "every job completed", |c| {
        Job::list(
            c,
            &JobFilter {
                states: vec![job::COMPLETED.into()],
                kind: Some(leadgen_server::jobs::testing::LEDGER.into()),
                limit: 500,
                ..JobFilter::default()
            },
        )
        .unwrap()
        .len()
            == ids.len()
    })
    .await;
    let mut c = app.state.db.get().unwrap();
    assert_eq!(Effect::count(&mut c, "test.ledger").unwrap(), 200);
    // A job that runs again finds its effect done and changes nothing.
    let e = Effect::find(&mut c, "test.ledger:7").unwrap().unwrap();
    assert_eq!(e.result_json(), Some(json!({"n": 7})));
    assert_eq!(e.job_id.as_deref(), Some(ids[7].as_str()));
    let again = app
        .state
        .jobs
        .enqueue(
            &mut c,
            &NewJob::new(leadgen_server::jobs::testing::LEDGER, json!({"n": 7})),
        )
        .unwrap()
        .job()
        .id
        .clone();
    drop(c);
    until(&app, "the repeat completed", |c| {
        state_of(c, &again) == "completed"
    })
    .await;
    use diesel::prelude::*;
    use leadgen_db::schema::audit_log;
    let rows: i64 = audit_log::table
        .filter(audit_log::action.eq("test.ledger"))
        .count()
        .get_result(&mut *app.state.db.get().unwrap())
        .unwrap();
    assert_eq!(rows, 200, "the effect of n=7 was not made twice");
}

#[tokio::test]
async fn an_import_whose_worker_died_resumes_by_itself() {
    // The import's job is claimed by a worker that then dies (its lease never renewed). Another process takes
    // the job back when the lease has run out and finishes the import, with no request from the user.
    let app = spawn_app_with(|s| s.jobs_in_serve = false).await;
    let admin = app.first_admin().await;
    let mut csv = String::from("username,full_name\n");
    for n in 1..=300 {
        csv.push_str(&format!("lead{n},Lead {n}\n"));
    }
    let (_, p) = crate::import::upload(&admin.b, csv).await;
    let id = p["id"].as_str().unwrap().to_owned();
    let (st, s) = run_import(&admin.b, &id).await;
    assert_eq!((st.as_u16(), s["status"].as_str()), (202, Some("running")));
    {
        let mut c = app.state.db.get().unwrap();
        let now = app.state.clock.now();
        let dead = Job::claim(&mut c, "imports", "dead", 1, Some(1), now + secs(60), now).unwrap();
        assert_eq!(dead.len(), 1, "the run request enqueued the import's job");
    }
    let mut settings = app.settings.clone();
    settings.jobs_in_serve = true;
    let second = start(settings, tempfile::tempdir().unwrap()).await;
    second.state.clock.advance(Duration::from_secs(61));
    for _ in 0..600 {
        let (_, s) = status_json(admin.b.get(&format!("/api/v1/imports/{id}")).await).await;
        if s["status"] != "running" {
            assert_eq!(
                (
                    s["status"].as_str(),
                    s["processed"].as_i64(),
                    s["inserted"].as_i64()
                ),
                (Some("done"), Some(300), Some(300)),
                "{s}"
            );
            let (_, page) = status_json(admin.b.get("/api/v1/leads?limit=1").await).await;
            assert_eq!(page["total"], 300);
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the import did not resume");
}

#[tokio::test]
async fn shutdown_gives_running_jobs_back_without_using_an_attempt() {
    // Two jobs wait at their gates (a long step without a checkpoint). Shutdown flags them; one then reaches its
    // checkpoint within the grace and goes back to the queue there; the other is still in its step when the
    // grace ends (on the app's clock) and is given back by the engine. Neither uses an attempt or keeps a
    // lease, and another process runs both at once.
    use leadgen_server::jobs::testing::{gate, GATE};
    let app = app_with_test_kinds().await;
    let name = |what: &str| format!("{what}-{}", leadgen_db::new_id());
    let (quick, slow) = (name("quick"), name("slow"));
    // Should an assertion fail, the gates open anyway: a job thread left waiting would keep the test's runtime
    // from shutting down.
    struct OpenOnDrop(Vec<String>);
    impl Drop for OpenOnDrop {
        fn drop(&mut self) {
            self.0.iter().for_each(|g| gate(g).open());
        }
    }
    let _open = OpenOnDrop(vec![quick.clone(), slow.clone()]);
    let ids: Vec<String> = {
        let mut c = app.state.db.get().unwrap();
        [&quick, &slow]
            .iter()
            .map(|g| {
                app.state
                    .jobs
                    .enqueue(&mut c, &NewJob::new(GATE, json!({ "gate": g })))
                    .unwrap()
                    .job()
                    .id
                    .clone()
            })
            .collect()
    };
    let both_started = async {
        gate(&quick).wait_started(1).await;
        gate(&slow).wait_started(1).await;
    };
    tokio::time::timeout(Duration::from_secs(30), both_started)
        .await
        .expect("both jobs started");
    let grace = Duration::from_secs(10);
    let engine = app.state.jobs.clone();
    let mut stopping = Box::pin(engine.shutdown(grace));
    // Its first step stops the claims and flags the running jobs; then it waits for them.
    assert!(futures_util::FutureExt::now_or_never(stopping.as_mut()).is_none());
    gate(&quick).open();
    until(&app, "the quick job went back at its checkpoint", |c| {
        state_of(c, &ids[0]) == "available"
    })
    .await;
    assert_eq!(
        state_of(&mut app.state.db.get().unwrap(), &ids[1]),
        "running"
    );
    app.state.clock.advance(grace + Duration::from_secs(1));
    tokio::time::timeout(Duration::from_secs(30), stopping)
        .await
        .expect("shutdown ends when the grace has passed");
    let mut c = app.state.db.get().unwrap();
    for id in &ids {
        let j = Job::get(&mut c, id).unwrap();
        assert_eq!(
            (
                j.state.as_str(),
                j.attempt,
                j.locked_until,
                j.last_error.as_deref()
            ),
            ("available", 0, None, None),
            "given back without using an attempt: {j:?}"
        );
        assert_eq!(j.token, 1, "claimed once");
    }
    // The slow job's step ends after it was given back: it writes nothing.
    gate(&slow).open();
    drop(c);
    // Another process picks both up at once (no lease to wait for) and finishes them.
    let second = start(app.settings.clone(), tempfile::tempdir().unwrap()).await;
    second.state.clock.set(app.state.clock.now());
    until(&app, "the other process finished both", |c| {
        ids.iter().all(|id| state_of(c, id) == "completed")
    })
    .await;
    let mut c = app.state.db.get().unwrap();
    for id in &ids {
        let j = Job::get(&mut c, id).unwrap();
        assert_eq!((j.attempt, j.token), (1, 2), "{j:?}");
        assert_ne!(j.locked_by, Some(app.state.jobs.worker_id().to_owned()));
    }
    assert_eq!(gate(&quick).started() + gate(&slow).started(), 4);
}

#[tokio::test]
async fn abandoned_uploads_are_swept_by_a_periodic_job() {
    // An upload not imported within a day is removed by the hourly sweep job (and a stray file with it); one
    // that is younger is kept. Time moves by the app's clock.
    use leadgen_server::leads::sweep_job;
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let (_, p) = crate::import::upload(&admin.b, "username\nlead1\n").await;
    let id = p["id"].as_str().unwrap().to_owned();
    let dir = app.dir.path().join("imports");
    let file = dir.join(format!("{id}.csv"));
    let stray = dir.join("stray.csv.part");
    std::fs::write(&stray, "username\n").unwrap();
    let sweeps = |c: &mut leadgen_db::DbConn| {
        Job::list(
            c,
            &JobFilter {
                kind: Some(sweep_job::KIND.into()),
                states: vec![job::COMPLETED.into()],
                ..JobFilter::default()
            },
        )
        .unwrap()
        .len()
    };
    // The tick of the current hour ran at start: the fresh upload stays.
    until(&app, "the first sweep ran", |c| sweeps(c) == 1).await;
    assert!(file.exists() && stray.exists());
    // 23 hours later (the next tick, one a hour): still fresh.
    app.state.clock.advance(Duration::from_secs(23 * 3600));
    until(&app, "the second sweep ran", |c| sweeps(c) == 2).await;
    assert!(file.exists() && stray.exists(), "younger than a day");
    // Past a day: removed, and the import says so.
    app.state.clock.advance(Duration::from_secs(2 * 3600));
    until(&app, "the third sweep ran", |c| sweeps(c) == 3).await;
    assert!(!file.exists(), "the abandoned upload was removed");
    assert!(!stray.exists(), "the stray file was removed");
    let mut c = app.state.db.get().unwrap();
    let import = leadgen_db::models::import::Import::get(&mut c, &id).unwrap();
    assert!(import.file_removed_at.is_some());
    // Each tick ran once, under its own key.
    let keys: Vec<Option<String>> = Job::list(
        &mut c,
        &JobFilter {
            kind: Some(sweep_job::KIND.into()),
            ..JobFilter::default()
        },
    )
    .unwrap()
    .into_iter()
    .map(|j| j.unique_key)
    .collect();
    assert_eq!(keys.len(), 3);
    assert!(keys.iter().all(|k| k
        .as_deref()
        .is_some_and(|k| k.starts_with("sweep_uploads@"))));
}

// ---- The admin Jobs page, a user's own background work, cancelling an import ----

/// Jobs the test places by hand (no worker serves `manual`), of `owner` when given.
fn put(
    c: &mut leadgen_db::DbConn,
    kind: &str,
    owner: Option<&str>,
    args: serde_json::Value,
) -> Job {
    let mut new = NewJob::new(kind, args).queue(MANUAL);
    if let Some(o) = owner {
        new = new.owner(o);
    }
    write_tx(c, |c| Job::enqueue(c, &new, chrono::Utc::now().naive_utc()))
        .unwrap()
        .job()
        .clone()
}

fn ids(page: &serde_json::Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn admins_see_queues_with_counts_and_jobs_running_first_without_their_arguments() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let olga = app.user(&admin, "olga", "user").await;
    let mut c = app.state.db.get().unwrap();
    let first = put(
        &mut c,
        "x.first",
        Some(&olga.id),
        json!({"api_key": "sk-live-9f8e7d"}),
    );
    let waiting = put(&mut c, "x.waiting", None, json!({}));
    let failed = put(&mut c, "x.failed", Some(&olga.id), json!({}));
    let now = chrono::Utc::now().naive_utc();
    // `first` (the oldest) is claimed and runs; `failed` fails for good.
    let claimed = Job::claim(&mut c, MANUAL, "w", 1, None, now + secs(60), now).unwrap();
    assert_eq!(claimed[0].id, first.id);
    let f = Job::claim(&mut c, MANUAL, "w", 2, None, now + secs(60), now).unwrap();
    let f = f.iter().find(|j| j.id == failed.id).unwrap();
    Job::fail(&mut c, f, "boom: the provider answered 500", false, now).unwrap();
    Job::release(&mut c, &waiting.id, 1, now).unwrap();
    drop(c);

    // (Every app also has the upload sweep's periodic job in `imports`: the list is of the `manual` queue.)
    let (st, page) = status_json(admin.b.get("/api/v1/admin/jobs?queue=manual").await).await;
    assert_eq!(st, 200, "{page}");
    let queues = page["queues"].as_array().unwrap();
    let names: Vec<&str> = queues
        .iter()
        .map(|q| q["queue"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["default", "imports", "manual"],
        "known queues even when empty, and any with jobs"
    );
    let manual = &queues[2];
    assert_eq!(
        (
            manual["running"].as_i64(),
            manual["available"].as_i64(),
            manual["discarded"].as_i64()
        ),
        (Some(1), Some(1), Some(1)),
        "{manual}"
    );
    assert_eq!(queues[0]["running"], 0);
    assert_eq!(page["total"], 3);
    assert_eq!(
        ids(&page),
        [first.id.as_str(), failed.id.as_str(), waiting.id.as_str()],
        "running first, then newest first"
    );
    let run = &page["items"][0];
    assert_eq!(
        (
            run["state"].as_str(),
            run["owner_username"].as_str(),
            run["attempt"].as_i64(),
            run["max_attempts"].as_i64()
        ),
        (Some("running"), Some("olga"), Some(1), Some(20)),
        "{run}"
    );
    assert_eq!(run["label"], "x.first");
    assert_eq!(
        page["items"][1]["last_error"],
        "boom: the provider answered 500"
    );
    assert!(
        !page.to_string().contains("sk-live-9f8e7d") && page["items"][0].get("args").is_none(),
        "a job's arguments are never shown: {page}"
    );

    let (_, only) = status_json(admin.b.get("/api/v1/admin/jobs?state=discarded").await).await;
    assert_eq!(ids(&only), [failed.id.as_str()]);
    let (_, kind) = status_json(
        admin
            .b
            .get("/api/v1/admin/jobs?kind=x.waiting&queue=manual")
            .await,
    )
    .await;
    assert_eq!(ids(&kind), [waiting.id.as_str()]);
    let (_, paged) = status_json(
        admin
            .b
            .get("/api/v1/admin/jobs?queue=manual&per_page=2&page=2")
            .await,
    )
    .await;
    assert_eq!(
        (ids(&paged), paged["total"].as_i64()),
        (vec![waiting.id.as_str()], Some(3))
    );
    let (st, bad) = status_json(admin.b.get("/api/v1/admin/jobs?state=sleeping").await).await;
    assert_eq!(st, 422, "{bad}");
}

#[tokio::test]
async fn admins_retry_and_cancel_jobs_each_recorded_in_the_audit_log() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let mut c = app.state.db.get().unwrap();
    let failed = put(&mut c, "x.failed", None, json!({}));
    let running = put(&mut c, "x.running", None, json!({}));
    let waiting = put(&mut c, "x.waiting", None, json!({}));
    let now = chrono::Utc::now().naive_utc();
    let claimed = Job::claim(&mut c, MANUAL, "w", 2, None, now + secs(60), now).unwrap();
    let f = claimed.iter().find(|j| j.id == failed.id).unwrap();
    Job::fail(&mut c, f, "boom", false, now).unwrap();
    drop(c);

    let post = |path: String| {
        let b = &admin.b;
        async move { status_json(b.post_empty(&path).await).await }
    };
    let (st, j) = post(format!("/api/v1/admin/jobs/{}/retry", failed.id)).await;
    assert_eq!(
        (st.as_u16(), j["state"].as_str()),
        (200, Some("available")),
        "{j}"
    );
    assert_eq!(
        (j["attempt"].as_i64(), j["last_error"].as_str()),
        (Some(1), Some("boom")),
        "{j}"
    );
    let (st, e) = post(format!("/api/v1/admin/jobs/{}/retry", running.id)).await;
    assert_eq!(
        (st.as_u16(), error_code(&e)),
        (409, "conflict"),
        "a running job is cancelled first"
    );

    let (st, j) = post(format!("/api/v1/admin/jobs/{}/cancel", waiting.id)).await;
    assert_eq!(
        (st.as_u16(), j["state"].as_str()),
        (200, Some("cancelled")),
        "{j}"
    );
    let (st, j) = post(format!("/api/v1/admin/jobs/{}/cancel", running.id)).await;
    assert_eq!(
        (
            st.as_u16(),
            j["state"].as_str(),
            j["cancel_requested"].as_bool()
        ),
        (200, Some("running"), Some(true)),
        "a running job stops at its next checkpoint: {j}"
    );
    let (st, e) = post(format!("/api/v1/admin/jobs/{}/cancel", waiting.id)).await;
    assert_eq!(
        (st.as_u16(), error_code(&e)),
        (409, "conflict"),
        "it has ended"
    );
    for action in ["cancel", "retry"] {
        let (st, _) = post(format!("/api/v1/admin/jobs/no-such-job/{action}")).await;
        assert_eq!(st, 404, "{action} of an unknown job");
    }

    let (_, audit) = status_json(
        admin
            .b
            .get("/api/v1/admin/audit?action=job.cancelled")
            .await,
    )
    .await;
    let targets: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["target_id"].as_str().unwrap())
        .collect();
    assert_eq!(targets, [running.id.as_str(), waiting.id.as_str()]);
    let (_, audit) = status_json(admin.b.get("/api/v1/admin/audit?action=job.retried").await).await;
    assert_eq!(audit["items"][0]["target_id"], failed.id.as_str());
    assert_eq!(audit["items"][0]["actor_username"], "admin");
    assert_eq!(audit["total"], 1);
}

#[tokio::test]
async fn users_see_and_cancel_only_their_own_jobs_and_not_the_admin_page() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let olga = app.user(&admin, "olga", "user").await;
    let piet = app.user(&admin, "piet", "user").await;
    let vera = app.user(&admin, "vera", "viewer").await;
    let mut c = app.state.db.get().unwrap();
    let mine = put(&mut c, "x.mine", Some(&olga.id), json!({}));
    let other = put(&mut c, "x.other", Some(&piet.id), json!({}));
    let now = chrono::Utc::now().naive_utc();
    for j in Job::claim(&mut c, MANUAL, "w", 2, None, now + secs(60), now).unwrap() {
        Job::fail(&mut c, &j, "internal: connection refused", true, now).unwrap();
    }
    drop(c);

    for who in [&olga, &vera] {
        let (st, _) = status_json(who.b.get("/api/v1/admin/jobs").await).await;
        assert_eq!(st, 403, "{} may not see every job", who.username);
        let (st, _) = status_json(
            who.b
                .post_empty(&format!("/api/v1/admin/jobs/{}/cancel", mine.id))
                .await,
        )
        .await;
        assert_eq!(st, 403);
        let (st, _) = status_json(
            who.b
                .post_empty(&format!("/api/v1/admin/jobs/{}/retry", mine.id))
                .await,
        )
        .await;
        assert_eq!(st, 403);
    }
    let (st, page) = status_json(olga.b.get("/api/v1/me/jobs").await).await;
    assert_eq!(st, 200, "{page}");
    assert_eq!(
        (ids(&page), page["total"].as_i64()),
        (vec![mine.id.as_str()], Some(1))
    );
    let item = &page["items"][0];
    assert_eq!(
        (item["state"].as_str(), item["owner_username"].as_str()),
        (Some("retryable"), Some("olga"))
    );
    assert!(
        item["last_error"].is_null(),
        "causes are for the operators: {item}"
    );
    let (_, none) = status_json(vera.b.get("/api/v1/me/jobs").await).await;
    assert_eq!(none["total"], 0);

    let (st, _) = status_json(
        olga.b
            .post_empty(&format!("/api/v1/me/jobs/{}/cancel", other.id))
            .await,
    )
    .await;
    assert_eq!(st, 404, "another user's job is unknown");
    let (st, _) = status_json(
        olga.b
            .post_empty("/api/v1/me/jobs/no-such-job/cancel")
            .await,
    )
    .await;
    assert_eq!(st, 404);
    let still = Job::get(&mut app.state.db.get().unwrap(), &other.id).unwrap();
    assert_eq!(still.state, "retryable", "untouched");
    let (st, j) = status_json(
        olga.b
            .post_empty(&format!("/api/v1/me/jobs/{}/cancel", mine.id))
            .await,
    )
    .await;
    assert_eq!(
        (st.as_u16(), j["state"].as_str()),
        (200, Some("cancelled")),
        "{j}"
    );
}

fn csv_of(rows: usize) -> String {
    let mut csv = String::from("username,full_name\n");
    for n in 1..=rows {
        csv.push_str(&format!("lead{n},Lead {n}\n"));
    }
    csv
}

fn upload_file(app: &TestApp, id: &str) -> std::path::PathBuf {
    leadgen_server::leads::import::file_in(&app.settings.data_dir, id)
}

/// Asks to run an uploaded import with the username and full-name columns, skipping repeats.
async fn run_import(b: &Browser, id: &str) -> (reqwest::StatusCode, serde_json::Value) {
    status_json(
        b.post(
            &format!("/api/v1/imports/{id}/run"),
            &json!({"mapping": ["username", "full_name"], "dedupe": "skip", "key": "username"}),
        )
        .await,
    )
    .await
}

async fn start_import(b: &Browser, rows: usize) -> String {
    let (_, p) = crate::import::upload(b, csv_of(rows)).await;
    let id = p["id"].as_str().unwrap().to_owned();
    let (st, s) = run_import(b, &id).await;
    assert_eq!(
        (st.as_u16(), s["status"].as_str()),
        (202, Some("running")),
        "{s}"
    );
    id
}

fn import_job(c: &mut leadgen_db::DbConn, import: &str) -> Job {
    Job::find_by_key(
        c,
        leadgen_server::leads::import_job::KIND,
        &format!("import:{import}"),
    )
    .unwrap()
    .expect("the import's job")
}

#[tokio::test]
async fn cancelling_a_running_import_stops_it_keeps_its_rows_and_removes_its_file() {
    // Parts of 500 rows (SQLite commits 5,000 at once), so the import commits many times and is cancelled
    // between two of them. On SQLite the import's writer takes the write lock again right after each commit: the
    // cancel gets in only because the job is told to stop first.
    let app = spawn_app_with(|s| s.import_chunk_rows = 500).await;
    let admin = app.first_admin().await;
    let id = start_import(&admin.b, 100_000).await;
    let mut started = serde_json::Value::Null;
    for _ in 0..2000 {
        let (_, s) = status_json(admin.b.get(&format!("/api/v1/imports/{id}")).await).await;
        if s["processed"].as_i64() > Some(0) {
            started = s;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        started["status"], "running",
        "cancelled while it runs: {started}"
    );

    let (st, s) = status_json(
        admin
            .b
            .post_empty(&format!("/api/v1/imports/{id}/cancel"))
            .await,
    )
    .await;
    assert_eq!(
        (st.as_u16(), s["status"].as_str()),
        (200, Some("cancelled")),
        "{s}"
    );
    until(&app, "the import's job stopped", |c| {
        import_job(c, &id).state == "cancelled"
    })
    .await;
    assert!(!upload_file(&app, &id).exists(), "the upload is removed");

    let (_, s) = status_json(admin.b.get(&format!("/api/v1/imports/{id}")).await).await;
    let kept = s["inserted"].as_i64().unwrap();
    assert_eq!(s["status"], "cancelled");
    assert!(kept > 0 && kept < 100_000, "stopped part-way: {s}");
    assert_eq!(s["processed"], kept, "every processed row was a new lead");
    let total = || async {
        let (_, page) = status_json(admin.b.get("/api/v1/leads?limit=1").await).await;
        page["total"].as_i64().unwrap()
    };
    assert_eq!(
        total().await,
        kept,
        "the rows written before the cancel stay"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(total().await, kept, "no row is added after the stop");

    let (st, e) = status_json(
        admin
            .b
            .post_empty(&format!("/api/v1/imports/{id}/cancel"))
            .await,
    )
    .await;
    assert_eq!(
        (st.as_u16(), error_code(&e)),
        (409, "conflict"),
        "it has ended"
    );
    let (st, _) = run_import(&admin.b, &id).await;
    assert_eq!(st, 409, "a cancelled import does not run again");
    let (_, mine) = status_json(admin.b.get("/api/v1/me/jobs").await).await;
    let job = &mine["items"][0];
    assert_eq!(
        (
            job["label"].as_str(),
            job["state"].as_str(),
            job["subject"]["id"].as_str()
        ),
        (
            Some("Import of leads.csv"),
            Some("cancelled"),
            Some(id.as_str())
        ),
        "{job}"
    );
    assert_eq!(job["progress"]["done"], kept);
    assert_eq!(job["progress"]["total"], 100_000);
}

#[tokio::test]
async fn cancelling_an_import_job_on_the_jobs_page_cancels_the_import_and_only_its_owner_may_cancel_it(
) {
    // No workers: the import's job waits, so the cancel finds it waiting.
    let app = spawn_app_with(|s| s.jobs_in_serve = false).await;
    let admin = app.first_admin().await;
    let olga = app.user(&admin, "olga", "user").await;
    let first = start_import(&olga.b, 50).await;
    let second = start_import(&olga.b, 50).await;

    let (st, _) = status_json(
        admin
            .b
            .post_empty(&format!("/api/v1/imports/{first}/cancel"))
            .await,
    )
    .await;
    assert_eq!(
        st, 404,
        "another user's import is unknown, even to an admin on the imports route"
    );
    let job = import_job(&mut app.state.db.get().unwrap(), &first);
    let (st, j) = status_json(
        admin
            .b
            .post_empty(&format!("/api/v1/admin/jobs/{}/cancel", job.id))
            .await,
    )
    .await;
    assert_eq!(
        (st.as_u16(), j["state"].as_str()),
        (200, Some("cancelled")),
        "{j}"
    );
    let (_, s) = status_json(olga.b.get(&format!("/api/v1/imports/{first}")).await).await;
    assert_eq!(
        (s["status"].as_str(), s["inserted"].as_i64()),
        (Some("cancelled"), Some(0)),
        "{s}"
    );
    assert!(!upload_file(&app, &first).exists());
    let (st, e) = status_json(
        admin
            .b
            .post_empty(&format!("/api/v1/admin/jobs/{}/retry", job.id))
            .await,
    )
    .await;
    assert_eq!(
        (st.as_u16(), error_code(&e)),
        (409, "conflict"),
        "nothing to run again: {e}"
    );

    // The owner cancels the other one from the import page: its waiting job is cancelled with it.
    let (st, s) = status_json(
        olga.b
            .post_empty(&format!("/api/v1/imports/{second}/cancel"))
            .await,
    )
    .await;
    assert_eq!(
        (st.as_u16(), s["status"].as_str()),
        (200, Some("cancelled")),
        "{s}"
    );
    assert_eq!(
        import_job(&mut app.state.db.get().unwrap(), &second).state,
        "cancelled"
    );
    assert!(!upload_file(&app, &second).exists());
}

#[tokio::test]
async fn the_import_cancelled_migration_keeps_every_import_and_its_parts() {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    use diesel_migrations::MigrationHarness;
    use leadgen_db::conn::{sqlite_path, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
    // Migrations before 2026-12-06-000021_import_cancelled (PostgreSQL has one more: 000006).
    let before = match backend() {
        Backend::Sqlite => 13,
        Backend::Postgres => 14,
    };
    let rows = "
INSERT INTO users (id, username, username_key, password_hash, role, created_at, updated_at, password_changed_at)
VALUES ('user-a', 'anna', 'anna', 'x', 'user', '2026-01-01 00:00:00', '2026-01-01 00:00:00', '2026-01-01 00:00:00');
INSERT INTO imports (id, owner_id, filename, status, size_bytes, total_rows, processed, inserted, created_at, skips)
VALUES ('imp-1', 'user-a', 'a.csv', 'interrupted', 100, 10, 4, 4, '2026-01-02 00:00:00', '[{\"row\":2,\"field\":null,\"message\":\"x\"}]');
INSERT INTO import_chunks (import_id, first_row, last_row) VALUES ('imp-1', 1, 4);
";
    let dir = tempfile::tempdir().unwrap();
    let settings = test_settings(dir.path());
    match backend() {
        Backend::Sqlite => {
            let mut c =
                diesel::SqliteConnection::establish(sqlite_path(&settings.database_url)).unwrap();
            c.batch_execute("PRAGMA foreign_keys = ON").unwrap();
            for _ in 0..before {
                c.run_next_migration(SQLITE_MIGRATIONS).unwrap();
            }
            c.batch_execute(rows).unwrap();
        }
        Backend::Postgres => {
            let mut c = diesel::PgConnection::establish(&settings.database_url).unwrap();
            for _ in 0..before {
                c.run_next_migration(POSTGRES_MIGRATIONS).unwrap();
            }
            c.batch_execute(rows).unwrap();
        }
    }
    let app = start(settings, dir).await;
    let mut c = app.state.db.get().unwrap();
    let import = leadgen_db::models::import::Import::get(&mut c, "imp-1").unwrap();
    assert_eq!(
        (
            import.status.as_str(),
            import.processed,
            import.skips.contains("\"row\":2")
        ),
        ("interrupted", 4, true)
    );
    assert_eq!(
        leadgen_db::models::import::Import::written_rows(&mut c, &import).unwrap(),
        [(1, 4)],
        "its written parts stay, so it resumes where it was"
    );
    assert!(leadgen_db::models::import::Import::cancel(&mut c, "imp-1").unwrap());
    assert_eq!(
        leadgen_db::models::import::Import::get(&mut c, "imp-1")
            .unwrap()
            .status,
        "cancelled"
    );
}
