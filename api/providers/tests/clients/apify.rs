//! Apify: sync scrapes, the async run + poll + paged dataset, a sync 408 continuing as async, failed runs, and
//! profile items with and without contact fields.

use crate::common::Sim;
use leadgen_providers::apify::{HashtagInput, HashtagPost, ProfileItem};
use leadgen_providers::ProviderErrorKind;
use serde_json::json;

fn tags() -> HashtagInput {
    HashtagInput {
        hashtags: vec!["bakery".into(), "berlinfood".into()],
        results_limit: 15,
        results_type: Some("posts".into()),
        only_posts_newer_than: None,
    }
}

#[tokio::test]
async fn hashtag_scrape_runs_sync_with_the_configured_actor() {
    let sim = Sim::start();
    let mut apify = sim.apify();
    let posts = apify.scrape_hashtags(&tags()).await.unwrap();
    assert!(!posts.is_empty());
    assert!(
        posts.iter().all(|p| p.owner_username.is_some()),
        "{posts:?}"
    );
    let req = &sim.requests("apify", "run_sync").await[0];
    assert_eq!(
        req["path"],
        "/apify/v2/acts/apify~instagram-hashtag-scraper/run-sync-get-dataset-items"
    );
    let body: serde_json::Value = serde_json::from_str(req["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"hashtags": ["bakery", "berlinfood"], "resultsLimit": 15, "resultsType": "posts"})
    );
    apify.hashtag_actor = "someone~hashtag-scraper-2".into();
    apify.scrape_hashtags(&tags()).await.unwrap();
    let req = &sim.requests("apify", "run_sync").await[1];
    assert_eq!(
        req["path"],
        "/apify/v2/acts/someone~hashtag-scraper-2/run-sync-get-dataset-items"
    );
}

#[tokio::test]
async fn profile_items_parse_with_and_without_contact_fields() {
    let sim = Sim::start();
    let names: Vec<String> = (0..25).map(|i| format!("lead_{i}")).collect();
    sim.flags(json!({"apify_contact_fields": false})).await;
    let items = sim.apify().scrape_profiles(&names).await.unwrap();
    assert_eq!(items.len(), 25);
    assert!(items
        .iter()
        .all(|p| p.business_email.is_none() && p.public_email.is_none()));
    // The e-mail then comes from the biography: every address a reader can make out of it, hidden ones
    // ("x [at] y.de", "x at y dot com") included, and none where the bio has none.
    for p in &items {
        let username = p.username.as_deref().unwrap();
        let expected = provider_sim::data::profile(1, username).bio_email;
        assert_eq!(p.email(), expected, "{:?}", p.biography);
    }
    assert!(items.iter().any(|p| p.email().is_some()));
    sim.flags(json!({"apify_contact_fields": true})).await;
    let items: Vec<ProfileItem> = sim.apify().scrape_profiles(&names).await.unwrap();
    assert!(items
        .iter()
        .any(|p| p.business_email.is_some() || p.public_email.is_some()));
    let req = &sim.requests("apify", "run_sync").await[0];
    assert!(req["path"]
        .as_str()
        .unwrap()
        .contains("apify~instagram-profile-scraper"));
}

#[tokio::test]
async fn async_run_is_polled_and_its_dataset_read_page_by_page() {
    let sim = Sim::start();
    sim.flags(json!({"apify_polls_to_finish": 3})).await;
    let mut apify = sim.apify();
    apify.options.page_size = 7;
    let input = serde_json::to_value(tags()).unwrap();
    let posts: Vec<HashtagPost> = apify
        .run_and_collect("apify~instagram-hashtag-scraper", &input)
        .await
        .unwrap();
    let sync = sim.apify().scrape_hashtags(&tags()).await.unwrap();
    assert_eq!(posts, sync, "the async run gives what the sync run gives");
    assert_eq!(sim.count("apify", "run_async").await, 1);
    assert!(sim.count("apify", "run_get").await >= 3);
    let pages = sim.count("apify", "dataset_items").await as usize;
    assert_eq!(pages, posts.len().div_ceil(7));
}

#[tokio::test]
async fn a_sync_408_continues_as_an_async_run() {
    let sim = Sim::start();
    sim.fault("apify", "run_sync", "apify_408", 1, 0).await;
    let posts = sim.apify().scrape_hashtags(&tags()).await.unwrap();
    assert!(!posts.is_empty());
    assert_eq!(
        sim.count("apify", "run_sync").await,
        1,
        "the 408 is not retried as sync"
    );
    assert_eq!(sim.count("apify", "run_async").await, 1);
    // A 408 while polling is retried like any transient failure.
    sim.reset().await;
    sim.fault("apify", "run_get", "apify_408", 1, 0).await;
    let input = serde_json::to_value(tags()).unwrap();
    let again: Vec<HashtagPost> = sim
        .apify()
        .run_and_collect("apify~instagram-hashtag-scraper", &input)
        .await
        .unwrap();
    assert_eq!(again.len(), posts.len());
}

#[tokio::test]
async fn a_failed_run_is_a_typed_error() {
    let sim = Sim::start();
    for status in ["FAILED", "TIMED-OUT", "ABORTED"] {
        sim.flags(json!({"apify_final_status": status})).await;
        let input = serde_json::to_value(tags()).unwrap();
        let e = sim
            .apify()
            .run_and_collect::<HashtagPost>("apify~instagram-hashtag-scraper", &input)
            .await
            .unwrap_err();
        assert_eq!(e.kind, ProviderErrorKind::RunFailed, "{e}");
        assert!(e.message.contains(status), "{e}");
    }
}
