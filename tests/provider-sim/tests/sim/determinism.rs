//! Same seed, same data; another seed, other data; and the data is varied the way real accounts are.

use crate::T;
use serde_json::{json, Value};
use std::collections::BTreeSet;

async fn hashtag(t: &T, tag: &str, n: u64) -> Vec<Value> {
    t.post_json(
        "/apify/v2/acts/apify~instagram-hashtag-scraper/run-sync-get-dataset-items",
        Some("k"),
        &json!({"hashtags": [tag], "resultsLimit": n}),
    )
    .await
    .json()
    .as_array()
    .unwrap()
    .clone()
}

async fn profiles(t: &T, names: &[String]) -> Vec<Value> {
    t.post_json(
        "/apify/v2/acts/apify~instagram-profile-scraper/run-sync-get-dataset-items",
        Some("k"),
        &json!({ "usernames": names }),
    )
    .await
    .json()
    .as_array()
    .unwrap()
    .clone()
}

async fn snapshot(t: &T) -> (Vec<Value>, Vec<Value>, String) {
    let posts = hashtag(t, "fitness", 20).await;
    let names: Vec<String> = posts
        .iter()
        .map(|p| p["ownerUsername"].as_str().unwrap().to_string())
        .collect();
    let profs = profiles(t, &names).await;
    let pplx = t
        .post_json(
            "/perplexity/chat/completions",
            Some("p"),
            &json!({"model": "sonar", "messages": [{"role": "user", "content": format!("contacts of @{}", names[0])}]}),
        )
        .await
        .json()["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .to_string();
    (posts, profs, pplx)
}

#[tokio::test]
async fn same_seed_same_data_other_seed_other_data() {
    let (a, b, c) = (T::seeded(7), T::seeded(7), T::seeded(8));
    let sa = snapshot(&a).await;
    assert_eq!(sa, snapshot(&b).await);
    let sc = snapshot(&c).await;
    assert_ne!(sa.0, sc.0);
    assert_ne!(sa.1, sc.1);
    // The seed flag switches the data; reset restores the start seed.
    a.control("flags", json!({"seed": 8})).await;
    assert_eq!(snapshot(&a).await.0, sc.0);
    a.control("reset", json!({})).await;
    assert_eq!(snapshot(&a).await.0, sa.0);
}

#[tokio::test]
async fn data_is_varied_like_real_accounts() {
    let t = T::new();
    let fitness = hashtag(&t, "fitness", 60).await;
    let yoga = hashtag(&t, "yoga", 60).await;
    let owners = |v: &[Value]| -> BTreeSet<String> {
        v.iter()
            .map(|p| p["ownerUsername"].as_str().unwrap().to_string())
            .collect()
    };
    let (of, oy) = (owners(&fitness), owners(&yoga));
    assert!(
        of.intersection(&oy).count() >= 3,
        "owners overlap between hashtags"
    );
    assert!(hashtag(&t, "emptytag", 10).await.is_empty());

    let names: Vec<String> = of.union(&oy).cloned().collect();
    let profs = profiles(&t, &names).await;
    assert!(profs.len() >= 40, "{}", profs.len());
    let bios: Vec<&str> = profs
        .iter()
        .map(|p| p["biography"].as_str().unwrap())
        .collect();
    let has = |pred: &dyn Fn(&str) -> bool| bios.iter().filter(|b| pred(b)).count();
    assert!(
        has(&|b| b.contains("Anfragen") || b.contains(" aus ") || b.contains("Alltag")) > 0,
        "German bios"
    );
    assert!(
        has(&|b| b.contains("Helping")
            || b.contains("from ")
            || b.contains("lover")
            || b.contains("Daily"))
            > 0,
        "English bios"
    );
    assert!(
        has(&|b| b.contains('@') && b.contains('.')) > 0,
        "plain e-mails"
    );
    assert!(
        has(&|b| b.contains("[at]") || b.contains("(at)") || b.contains(" dot ")) > 0,
        "obfuscated e-mails"
    );
    assert!(has(&|b| b.contains("📞 +")) > 0, "phones");
    assert!(
        has(&|b| b.contains("linktr.ee/") || b.contains("www.")) > 0,
        "links"
    );
    let followers: Vec<u64> = profs
        .iter()
        .map(|p| p["followersCount"].as_u64().unwrap())
        .collect();
    let (min, max) = (
        followers.iter().min().unwrap(),
        followers.iter().max().unwrap(),
    );
    assert!(
        *min < 1_000 && *max > 100_000,
        "orders of magnitude: {min}..{max}"
    );
    let business = profs
        .iter()
        .filter(|p| p["isBusinessAccount"] == json!(true))
        .count();
    let private = profs.iter().filter(|p| p["private"] == json!(true)).count();
    assert!(business > 0 && business < profs.len() && private > 0);
}
