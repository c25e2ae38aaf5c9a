//! Leads: product ownership on writes, large filters, and the text sort order a German user expects.

use leadgen_api_tests::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn add(b: &Browser, body: Value) -> Value {
    let (st, lead) = status_json(b.post("/api/v1/leads", &body).await).await;
    assert_eq!(st, StatusCode::CREATED, "{lead}");
    lead
}

async fn product(b: &Browser, name: &str) -> String {
    let (st, p) = status_json(
        b.post("/api/v1/products", &json!({"name": name, "variables": []}))
            .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    p["id"].as_str().unwrap().to_owned()
}

/// A 422 naming `product_id` as not found (and nothing else).
fn assert_product_not_found(st: StatusCode, body: &Value, what: &str) {
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {body}");
    assert_eq!(
        body["error"]["details"]["fields"]["product_id"][0]["code"], "not_found",
        "{what}: {body}"
    );
}

#[tokio::test]
async fn a_lead_links_only_its_owners_products_and_unknown_ones_answer_alike() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let alice = app.user(&admin, "alice", "user").await;
    let own = product(&alice.b, "Kochkurs").await;
    let foreign = product(&admin.b, "Admins Kurs").await;
    let unknown = "00000000-0000-4000-8000-000000000000".to_owned();
    let lead = add(&alice.b, json!({"username": "gruene.kueche"})).await;
    let id = lead["id"].as_str().unwrap();

    let mut answers = vec![];
    for pid in [&foreign, &unknown] {
        let (st, body) = status_json(
            alice
                .b
                .patch(&format!("/api/v1/leads/{id}"), &json!({"product_id": pid}))
                .await,
        )
        .await;
        assert_product_not_found(st, &body, "PATCH");
        answers.push(body);
        let (st, body) = status_json(
            alice
                .b
                .post(
                    "/api/v1/leads",
                    &json!({"username": "neu", "product_id": pid}),
                )
                .await,
        )
        .await;
        assert_product_not_found(st, &body, "POST");
        let (st, body) = status_json(
            alice
                .b
                .post(
                    "/api/v1/leads/bulk",
                    &json!({"ids": [id], "patch": {"product_id": pid}}),
                )
                .await,
        )
        .await;
        assert_product_not_found(st, &body, "bulk");
    }
    assert_eq!(
        answers[0], answers[1],
        "someone else's product and an unknown one answer the same"
    );
    // Nothing was written: the lead has no product and no new lead was created.
    let (_, now) = status_json(alice.b.get(&format!("/api/v1/leads/{id}")).await).await;
    assert_eq!(
        (now["product_id"].clone(), now["version"].clone()),
        (Value::Null, json!(1))
    );
    let (_, page) = status_json(alice.b.get("/api/v1/leads").await).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);

    // The owner's own product links, by each route.
    let (st, body) = status_json(
        alice
            .b
            .patch(&format!("/api/v1/leads/{id}"), &json!({"product_id": own}))
            .await,
    )
    .await;
    assert_eq!(
        (st, body["product_id"].as_str()),
        (StatusCode::OK, Some(own.as_str()))
    );
    let created = add(&alice.b, json!({"username": "neu", "product_id": own})).await;
    assert_eq!(created["product_id"], own.as_str());
    let (st, body) = status_json(
        alice
            .b
            .post(
                "/api/v1/leads/bulk",
                &json!({"ids": [id], "patch": {"product_id": null}}),
            )
            .await,
    )
    .await;
    assert_eq!(
        (st, body["affected"].as_i64()),
        (StatusCode::OK, Some(1)),
        "{body}"
    );
}

/// `n` rules `posts eq i`, combined with OR (short rules: a list's filter travels in the URL, which HTTP
/// limits to 64 KB).
fn many_rules(n: usize) -> Value {
    json!({"op": "or", "rules": (0..n)
        .map(|i| json!({"field": "posts", "cmp": "eq", "value": i}))
        .collect::<Vec<_>>()})
}

/// `filter=` with only the characters a URL's query cannot hold escaped (the shortest URL for a large filter).
fn short_q(filter: &Value) -> String {
    let enc: String = filter
        .to_string()
        .chars()
        .map(|c| match c {
            '"' | '%' | '&' | '+' | '#' | ' ' | '{' | '}' | '[' | ']' => {
                format!("%{:02X}", c as u8)
            }
            c => c.to_string(),
        })
        .collect();
    format!("filter={enc}")
}

#[tokio::test]
async fn filters_of_a_thousand_rules_or_values_work_everywhere_and_larger_ones_answer_422() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let b = &admin.b;
    for (i, tags) in [
        (0, json!(["t0000"])),
        (1, json!(["t0999", "x"])),
        (2, json!(["x"])),
        (5000, json!(["y"])),
    ] {
        add(
            b,
            json!({"username": format!("u{i:04}"), "posts": i, "tags": tags}),
        )
        .await;
    }
    // 1,000 OR rules; tags with 1,000 values (any of them; all of a set that one lead has, padded with repeats).
    let or_rules = many_rules(1000);
    let any_tag = json!({"field": "tags", "cmp": "has_any",
        "value": (0..1000).map(|i| format!("t{i:04}")).collect::<Vec<_>>()});
    let mut all: Vec<String> = vec!["x".into(); 999];
    all.push("t0999".into());
    let all_tags = json!({"field": "tags", "cmp": "has_all", "value": all});
    let nested = json!({"op": "and", "rules": [any_tag.clone(), {"op": "or", "rules": [all_tags.clone(), many_rules(500)]}]});
    for (filter, expected) in [
        (&or_rules, vec!["u0000", "u0001", "u0002"]),
        (&any_tag, vec!["u0000", "u0001"]),
        (&all_tags, vec!["u0001"]),
        (&nested, vec!["u0000", "u0001"]),
    ] {
        // The list…
        let (st, page) = status_json(
            b.get(&format!("/api/v1/leads?{}&sort=username", short_q(filter)))
                .await,
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{page}");
        let got: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["username"].as_str().unwrap())
            .collect();
        assert_eq!(got, expected);
        assert_eq!(page["total"], expected.len());
        // … the export …
        let res = b
            .get(&format!(
                "/api/v1/leads/export?{}&sort=username&columns=username",
                short_q(filter)
            ))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let csv = res.text().await.unwrap();
        assert_eq!(csv.lines().count(), expected.len() + 1, "{csv}");
        // … and a bulk edit.
        let (st, res) = status_json(
            b.post(
                "/api/v1/leads/bulk",
                &json!({"filter": filter, "patch": {"notes": "seen"}}),
            )
            .await,
        )
        .await;
        assert_eq!(
            (st, res["affected"].as_u64()),
            (StatusCode::OK, Some(expected.len() as u64)),
            "{res}"
        );
    }
    let (st, res) = status_json(
        b.post("/api/v1/leads/bulk-delete", &json!({"filter": or_rules}))
            .await,
    )
    .await;
    assert_eq!(
        (st, res["affected"].as_u64()),
        (StatusCode::OK, Some(3)),
        "{res}"
    );

    // Above the cap: a 422 naming the filter, on every route, and nothing changed. (2,001 rules do not fit in a
    // URL: the list and the export are shown the values cap.)
    let too_many_rules = many_rules(2001);
    let too_many_values = json!({"field": "tags", "cmp": "has_any",
        "value": (0..2001).map(|i| format!("t{i}")).collect::<Vec<_>>()});
    let too_large = |st: StatusCode, body: &Value| {
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(
            body["error"]["details"]["fields"]["filter"][0]["code"], "filter_too_large",
            "{body}"
        );
    };
    let (st, body) = status_json(
        b.get(&format!("/api/v1/leads?{}", short_q(&too_many_values)))
            .await,
    )
    .await;
    too_large(st, &body);
    let (st, body) = status_json(
        b.get(&format!(
            "/api/v1/leads/export?{}",
            short_q(&too_many_values)
        ))
        .await,
    )
    .await;
    too_large(st, &body);
    for filter in [&too_many_rules, &too_many_values] {
        let (st, body) = status_json(
            b.post(
                "/api/v1/leads/bulk",
                &json!({"filter": filter, "patch": {"notes": "no"}}),
            )
            .await,
        )
        .await;
        too_large(st, &body);
        let (st, body) = status_json(
            b.post("/api/v1/leads/bulk-delete", &json!({"filter": filter}))
                .await,
        )
        .await;
        too_large(st, &body);
    }
    let (_, page) = status_json(b.get("/api/v1/leads?include_deleted=true").await).await;
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["notes"] != "no"),
        "{page}"
    );
}

/// The full names of every page of `sort`, walked with the cursor two rows at a time.
async fn names_in_pages(b: &Browser, sort: &str) -> Vec<String> {
    let mut out = vec![];
    let mut cursor: Option<String> = None;
    loop {
        let mut query = format!("/api/v1/leads?sort={sort}&limit=2");
        if let Some(c) = &cursor {
            query.push_str(&format!("&cursor={c}"));
        }
        let (st, page) = status_json(b.get(&query).await).await;
        assert_eq!(st, StatusCode::OK, "{page}");
        for l in page["items"].as_array().unwrap() {
            out.push(l["full_name"].as_str().unwrap_or("").to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) if !page["items"].as_array().unwrap().is_empty() => cursor = Some(c.to_owned()),
            _ => break,
        }
    }
    out
}

#[tokio::test]
async fn full_names_sort_as_a_german_reader_expects_page_by_page() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let b = &admin.b;
    let names = [
        "Weinhaus Zimmer",
        "Ökohof Sonnenschein",
        "apfelgarten",
        "Zürich Bäckerei",
        "Äpfelhof",
        "Bäckerei Müller",
        "Backstube Anders",
        "Éclair Café",
        "eva",
        "Ulme",
        "Übersee",
        "Oase",
    ];
    for (i, n) in names.iter().enumerate() {
        add(b, json!({"username": format!("l{i:02}"), "full_name": n})).await;
    }
    // Letters first, accents and case only where the letters are equal (byte order would put "apfelgarten",
    // "Äpfelhof", "Éclair", "Ökohof" and "Übersee" after "Zürich").
    let expected = vec![
        "apfelgarten",
        "Äpfelhof",
        "Bäckerei Müller",
        "Backstube Anders",
        "Éclair Café",
        "eva",
        "Oase",
        "Ökohof Sonnenschein",
        "Übersee",
        "Ulme",
        "Weinhaus Zimmer",
        "Zürich Bäckerei",
    ];
    assert_eq!(names_in_pages(b, "full_name").await, expected);
    let mut reversed = expected.clone();
    reversed.reverse();
    assert_eq!(names_in_pages(b, "full_name:desc").await, reversed);
    // Mixed directions take the other keyset path (one comparison per column).
    assert_eq!(
        names_in_pages(b, "full_name,created_at:desc").await,
        expected
    );
    // The export sorts alike.
    let res = b
        .get("/api/v1/leads/export?sort=full_name&columns=full_name")
        .await;
    let csv = res.text().await.unwrap();
    let exported: Vec<&str> = csv.lines().skip(1).map(|l| l.trim_matches('"')).collect();
    assert_eq!(exported, expected);
}

#[tokio::test]
async fn a_first_import_into_a_new_database_is_planned_from_fresh_statistics_after_its_first_commit(
) {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use diesel::sql_types::{Double, Text};
    #[derive(QueryableByName)]
    struct Tuples {
        #[diesel(sql_type = Double)]
        n: f64,
    }
    #[derive(QueryableByName)]
    struct Line {
        #[diesel(sql_type = Text)]
        line: String,
    }
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    // One chunk (10,000 rows), one commit: the import's first, into a leads table that was empty and never
    // analysed.
    let mut csv = String::from("username,full_name\n");
    for i in 0..10_000 {
        csv.push_str(&format!("first{i:05},Name {i}\n"));
    }
    let status = crate::import::import_csv(&admin.b, csv).await;
    assert_eq!(status["inserted"], 10_000, "{status}");
    let mut conn = app.state.db.get().unwrap();
    let owner = "(SELECT seq FROM users WHERE username = 'admin')";
    let plan: Vec<String> = match backend() {
        Backend::Postgres => {
            // The planner's idea of the table's size comes from statistics refreshed after the first commit
            // (never analysed, PostgreSQL shows -1 and guesses from the file size, keeping plans made empty).
            let t: Tuples = diesel::sql_query(
                "SELECT reltuples::float8 AS n FROM pg_class WHERE relname = 'leads'",
            )
            .get_result(&mut *conn)
            .unwrap();
            assert!(t.n >= 9_000.0, "statistics after the first commit: {}", t.n);
            conn.batch_execute(
                "CREATE FUNCTION pg_temp.plan_of(q text) RETURNS SETOF text LANGUAGE plpgsql AS \
                 $$ DECLARE r text; BEGIN FOR r IN EXECUTE 'EXPLAIN ' || q LOOP RETURN NEXT r; END LOOP; END $$",
            )
            .unwrap();
            let names: Vec<String> = (0..100)
                .map(|i| format!("''first{:05}''", i * 97))
                .collect();
            diesel::sql_query(format!(
                "SELECT pg_temp.plan_of('SELECT username, id FROM leads WHERE owner_key = {} \
                 AND username = ANY(ARRAY[{}])') AS line",
                owner.replace('\'', "''"),
                names.join(", ")
            ))
            .load::<Line>(&mut *conn)
            .unwrap()
            .into_iter()
            .map(|l| l.line)
            .collect()
        }
        Backend::Sqlite => {
            #[derive(QueryableByName)]
            struct Step {
                #[diesel(sql_type = Text)]
                detail: String,
            }
            diesel::sql_query(format!(
                "EXPLAIN QUERY PLAN SELECT id FROM leads WHERE owner_key = {owner} AND username = 'first00042'"
            ))
            .load::<Step>(&mut *conn)
            .unwrap()
            .into_iter()
            .map(|s| s.detail)
            .collect()
        }
    };
    assert!(
        plan.iter()
            .any(|l| l.contains("Index") || l.contains("INDEX")),
        "the lookup probes the (owner, username) index: {plan:?}"
    );
}
