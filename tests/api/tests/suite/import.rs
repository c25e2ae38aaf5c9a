use leadgen_api_tests::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

pub(crate) async fn upload(b: &Browser, csv: impl Into<reqwest::Body>) -> (StatusCode, Value) {
    let csrf = b.csrf_token();
    let res = b
        .http
        .post(format!("{}/api/v1/imports?filename=leads.csv", b.base))
        .header("x-csrf-token", csrf)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    status_json(res).await
}

pub(crate) async fn run_to_end(b: &Browser, id: &str, body: Value) -> Value {
    let (st, started) =
        status_json(b.post(&format!("/api/v1/imports/{id}/run"), &body).await).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{started}");
    for _ in 0..1200 {
        let (_, s) = status_json(b.get(&format!("/api/v1/imports/{id}")).await).await;
        if s["status"] != "running" {
            return s;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("import did not finish");
}

/// Uploads `csv` and imports it with the guessed mapping, skipping usernames already there; the final status.
pub(crate) async fn import_csv(b: &Browser, csv: impl Into<reqwest::Body>) -> Value {
    let (st, p) = upload(b, csv).await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    run_to_end(
        b,
        p["id"].as_str().unwrap(),
        json!({"mapping": p["mapping"], "dedupe": "skip", "key": "username"}),
    )
    .await
}

#[tokio::test]
async fn import_guesses_mapping_previews_cells_and_reports_bad_rows() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let b = &admin.b;
    let csv = "\u{feff}Benutzername;Name;Follower;E-Mail;Bio;Ignored\n\
               @anna.b;Anna Bäcker;12,5k;Anna@Example.de;Vegane Bäckerei 🥐;x\n\
               ben;Ben;1.234;not-an-email;Coach;y\n\
               ;No Name;10;;;\n\
               carla;Carla;lots;bad-mail;;\n\
               dora;Dora;0;;\"multi\nline\";\n";
    let (st, p) = upload(b, csv).await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    assert_eq!(
        p["headers"],
        json!([
            "Benutzername",
            "Name",
            "Follower",
            "E-Mail",
            "Bio",
            "Ignored"
        ])
    );
    assert_eq!(
        p["mapping"],
        json!([
            "username",
            "full_name",
            "followers",
            "email",
            "biography",
            null
        ])
    );
    assert_eq!(p["total_rows"], 5);
    let rows = p["preview"].as_array().unwrap();
    assert_eq!(rows[0]["errors"], json!({}));
    assert!(rows[1]["errors"]["email"].is_string(), "{}", rows[1]);
    assert!(rows[2]["errors"]["username"].is_string());
    assert!(
        rows[3]["errors"]["followers"].is_string() && rows[3]["errors"]["email"].is_string(),
        "every bad cell: {}",
        rows[3]
    );
    assert_eq!(rows[4]["values"][4], "multi\nline");
    let id = p["id"].as_str().unwrap();

    // A mapping without username cannot run; keep_both needs key email.
    let (st, _) = status_json(b.post(&format!("/api/v1/imports/{id}/run"), &json!({"mapping": [null, "full_name", null, null, null, null], "dedupe": "skip", "key": "username"})).await).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, _) = status_json(
        b.post(
            &format!("/api/v1/imports/{id}/run"),
            &json!({"mapping": p["mapping"], "dedupe": "keep_both", "key": "username"}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);

    let done = run_to_end(
        b,
        id,
        json!({"mapping": p["mapping"], "dedupe": "skip", "key": "username"}),
    )
    .await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(
        (
            done["inserted"].as_i64(),
            done["failed"].as_i64(),
            done["processed"].as_i64()
        ),
        (Some(2), Some(3), Some(5))
    );
    let bad: Vec<i64> = done["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["row"].as_i64().unwrap())
        .collect();
    assert_eq!(
        bad,
        vec![2, 3, 4, 4],
        "each bad cell is reported; row 4 has two"
    );
    let (_, page) = status_json(b.get("/api/v1/leads?sort=username").await).await;
    let anna = &page["items"][0];
    assert_eq!(
        (
            anna["username"].as_str(),
            anna["followers"].as_i64(),
            anna["email"].as_str()
        ),
        (Some("anna.b"), Some(12500), Some("anna@example.de"))
    );
    assert_eq!(anna["biography"], "Vegane Bäckerei 🥐");
    assert_eq!(page["total"], 2, "bad rows are never half-applied");
    // The same file cannot run twice.
    let (st, _) = status_json(
        b.post(
            &format!("/api/v1/imports/{id}/run"),
            &json!({"mapping": p["mapping"], "dedupe": "skip", "key": "username"}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CONFLICT);
}

#[tokio::test]
async fn dedupe_modes_skip_update_and_keep_both() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let b = &admin.b;
    b.post("/api/v1/leads", &json!({"username": "anna", "full_name": "Old Name", "email": "anna@example.com", "notes": "keep me"})).await;
    let csv = "username,full_name,email,followers\nanna,New Name,anna@example.com,500\nanna2,Anna Two,anna@example.com,7\nneu,Neu,neu@example.com,1\n";
    let mapping = json!(["username", "full_name", "email", "followers"]);

    let (_, p) = upload(b, csv).await;
    let s = run_to_end(
        b,
        p["id"].as_str().unwrap(),
        json!({"mapping": mapping, "dedupe": "skip", "key": "username"}),
    )
    .await;
    assert_eq!(
        (
            s["inserted"].as_i64(),
            s["skipped"].as_i64(),
            s["updated"].as_i64()
        ),
        (Some(2), Some(1), Some(0))
    );
    let (_, page) = status_json(b.get("/api/v1/leads?sort=username").await).await;
    assert_eq!(page["items"][0]["full_name"], "Old Name");

    let (_, p) = upload(b, csv).await;
    let s = run_to_end(
        b,
        p["id"].as_str().unwrap(),
        json!({"mapping": mapping, "dedupe": "update", "key": "username"}),
    )
    .await;
    assert_eq!(
        (s["inserted"].as_i64(), s["updated"].as_i64()),
        (Some(0), Some(3))
    );
    let (_, page) = status_json(b.get("/api/v1/leads?sort=username").await).await;
    let anna = &page["items"][0];
    assert_eq!(
        (
            anna["full_name"].as_str(),
            anna["followers"].as_i64(),
            anna["notes"].as_str()
        ),
        (Some("New Name"), Some(500), Some("keep me")),
        "update fills, keeps the rest"
    );

    // key=email, keep_both: a second lead with the same email is added under its own username.
    let csv2 = "username,email\nanna3,anna@example.com\n";
    let (_, p) = upload(b, csv2).await;
    let s = run_to_end(
        b,
        p["id"].as_str().unwrap(),
        json!({"mapping": ["username", "email"], "dedupe": "keep_both", "key": "email"}),
    )
    .await;
    assert_eq!(s["inserted"], 1);
    let (_, p) = upload(b, csv2.replace("anna3", "anna4")).await;
    let s = run_to_end(
        b,
        p["id"].as_str().unwrap(),
        json!({"mapping": ["username", "email"], "dedupe": "skip", "key": "email"}),
    )
    .await;
    assert_eq!(
        (s["inserted"].as_i64(), s["skipped"].as_i64()),
        (Some(0), Some(1))
    );
    // The import is one undo step.
    let (_, u) = status_json(b.post_empty("/api/v1/leads/undo").await).await;
    assert_eq!(u["affected"], 1);
}

#[tokio::test]
async fn export_then_import_into_an_empty_workspace_gives_identical_rows() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    for (i, bio) in [
        "Grüße aus München 🥨",
        "line1\nline2, with \"quotes\"",
        "",
        "Emoji 👩‍💻 ok",
    ]
    .iter()
    .enumerate()
    {
        let (st, _) = status_json(admin.b.post("/api/v1/leads", &json!({"username": format!("rt{i}"), "full_name": format!("Nämé {i}"), "biography": bio, "followers": i * 1000, "email": format!("rt{i}@example.com"), "status": "qualified", "tags": ["a", "b c"], "is_business": i % 2 == 0, "website": "https://x.example/p?q=1"})).await).await;
        assert_eq!(st, StatusCode::CREATED);
    }
    let cols = "username,full_name,biography,followers,following,posts,is_business,business_category,email,phone,website,source_hashtag,status,tags,notes,email_subject,email_body";
    let csv = admin
        .b
        .get(&format!(
            "/api/v1/leads/export?sort=username&columns={cols}"
        ))
        .await
        .text()
        .await
        .unwrap();
    let other = app.user(&admin, "empty", "user").await;
    let (st, p) = upload(&other.b, csv.clone()).await;
    assert_eq!(st, StatusCode::CREATED);
    assert_eq!(
        p["mapping"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m.is_null())
            .count(),
        0,
        "every exported column maps back"
    );
    let s = run_to_end(
        &other.b,
        p["id"].as_str().unwrap(),
        json!({"mapping": p["mapping"], "dedupe": "skip", "key": "username"}),
    )
    .await;
    assert_eq!(
        (s["inserted"].as_i64(), s["failed"].as_i64()),
        (Some(4), Some(0)),
        "{s}"
    );
    let again = other
        .b
        .get(&format!(
            "/api/v1/leads/export?sort=username&columns={cols}"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(again, csv);
}

#[tokio::test]
async fn a_100_mb_file_streams_in_and_imports() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let b = &admin.b;
    let bio = "Vegane Küche, Rezepte und Workshops in Berlin 🌱 ".repeat(80); // ~4 KB
    let mut csv = String::with_capacity(105 * 1024 * 1024);
    csv.push_str("username,full_name,followers,biography\n");
    let mut n = 0;
    while csv.len() < 100 * 1024 * 1024 {
        csv.push_str(&format!("user{n},Name {n},{},\"{bio}\"\n", n * 3));
        n += 1;
    }
    let size = csv.len();
    let (st, p) = upload(b, csv).await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    assert_eq!(p["total_rows"].as_i64(), Some(n as i64));
    let s = run_to_end(
        b,
        p["id"].as_str().unwrap(),
        json!({"mapping": p["mapping"], "dedupe": "skip", "key": "username"}),
    )
    .await;
    assert_eq!(
        (s["status"].as_str(), s["inserted"].as_i64()),
        (Some("done"), Some(n as i64)),
        "{s}"
    );
    // Above 20,000 rows the first page answers an estimate and counts exactly in the background.
    let (_, first) = status_json(b.get("/api/v1/leads?limit=1").await).await;
    if first["total_is_estimate"] == true {
        assert!(first["total"].as_i64().unwrap() > 20_000);
    }
    let mut exact = None;
    for _ in 0..100 {
        let (_, page) = status_json(b.get("/api/v1/leads?limit=1").await).await;
        if page["total_is_estimate"] == false {
            exact = page["total"].as_i64();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(exact, Some(n as i64));
    assert!(size >= 100 * 1024 * 1024);
}

#[tokio::test]
async fn rows_after_the_first_batch_match_leads_the_first_batch_wrote() {
    // Imports write 10,000-row chunks (100,000 rows a commit); a later chunk must find, and update, what an
    // earlier one wrote.
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let b = &admin.b;
    let mut csv = String::from("username,full_name,biography\n");
    for n in 0..55_000 {
        csv.push_str(&format!("lead{n},First {n},\n"));
    }
    for n in 0..5_000 {
        csv.push_str(&format!("lead{n},,Wiedergefunden {n}\n"));
    }
    let (st, p) = upload(b, csv).await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    let s = run_to_end(
        b,
        p["id"].as_str().unwrap(),
        json!({"mapping": p["mapping"], "dedupe": "update", "key": "username"}),
    )
    .await;
    assert_eq!(
        (
            s["status"].as_str(),
            s["inserted"].as_i64(),
            s["updated"].as_i64(),
            s["failed"].as_i64()
        ),
        (Some("done"), Some(55_000), Some(5_000), Some(0)),
        "{s}"
    );
    let (_, page) = status_json(b.get("/api/v1/leads?search=wiedergefunden%204999").await).await;
    let lead = &page["items"][0];
    assert_eq!(
        (
            lead["username"].as_str(),
            lead["full_name"].as_str(),
            lead["biography"].as_str()
        ),
        (
            Some("lead4999"),
            Some("First 4999"),
            Some("Wiedergefunden 4999")
        ),
        "{page}"
    );
}

#[tokio::test]
async fn a_username_twice_in_one_file_is_merged_and_searchable() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let b = &admin.b;
    let (st, p) = upload(
        b,
        "username,full_name,followers,biography\nsame.one,Erste Zeile,,Sauerteig Bäckerei\nsame.one,,200,\nother.one,Andere,5,Kaffee\n",
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    let s = run_to_end(
        b,
        p["id"].as_str().unwrap(),
        json!({"mapping": p["mapping"], "dedupe": "update", "key": "username"}),
    )
    .await;
    assert_eq!(
        (
            s["inserted"].as_i64(),
            s["updated"].as_i64(),
            s["failed"].as_i64()
        ),
        (Some(2), Some(1), Some(0)),
        "{s}"
    );
    // The second row filled the first; both new leads are in the search index.
    let (_, page) = status_json(b.get("/api/v1/leads?search=sauerteig").await).await;
    let lead = &page["items"][0];
    assert_eq!(
        (
            lead["username"].as_str(),
            lead["full_name"].as_str(),
            lead["followers"].as_i64()
        ),
        (Some("same.one"), Some("Erste Zeile"), Some(200)),
        "{page}"
    );
    let (_, page) = status_json(b.get("/api/v1/leads?search=kaffee").await).await;
    assert_eq!(page["items"][0]["username"], "other.one", "{page}");
    // Editing an imported lead keeps the index right: the old words are gone, the new ones found.
    let id = lead["id"].as_str().unwrap();
    let (st, _) = status_json(
        b.patch(
            &format!("/api/v1/leads/{id}"),
            &json!({"biography": "Vegane Küche"}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let (_, gone) = status_json(b.get("/api/v1/leads?search=sauerteig").await).await;
    assert_eq!(gone["total"], 0, "{gone}");
    let (_, found) = status_json(b.get("/api/v1/leads?search=vegane").await).await;
    assert_eq!(found["items"][0]["username"], "same.one", "{found}");
}

#[tokio::test]
async fn an_import_is_one_undo_step_and_its_new_leads_show_it_in_their_history() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let b = &admin.b;
    let (_, kept) = status_json(
        b.post(
            "/api/v1/leads",
            &json!({"username": "bestand", "full_name": "Alt"}),
        )
        .await,
    )
    .await;
    let (_, p) = upload(
        b,
        "username,full_name\nbestand,Neu\nneu.eins,Eins\nneu.zwei,Zwei\n",
    )
    .await;
    let import_id = p["id"].as_str().unwrap().to_owned();
    let s = run_to_end(
        b,
        &import_id,
        json!({"mapping": p["mapping"], "dedupe": "update", "key": "username"}),
    )
    .await;
    assert_eq!(
        (s["inserted"].as_i64(), s["updated"].as_i64()),
        (Some(2), Some(1)),
        "{s}"
    );
    let names = |page: &Value| -> Vec<(String, String)> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["username"].as_str().unwrap().to_owned(),
                    l["full_name"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    let (_, page) = status_json(b.get("/api/v1/leads?sort=username").await).await;
    let new_id = page["items"][1]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        names(&page),
        [
            ("bestand".into(), "Neu".into()),
            ("neu.eins".into(), "Eins".into()),
            ("neu.zwei".into(), "Zwei".into())
        ]
    );

    // A new lead's history names the import that created it; the filled lead shows the import's change.
    let batch = format!("import:{import_id}");
    let (st, history) = status_json(b.get(&format!("/api/v1/leads/{new_id}/history")).await).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        (
            history.as_array().map(Vec::len),
            history[0]["kind"].as_str(),
            history[0]["batch_id"].as_str()
        ),
        (Some(1), Some("create"), Some(batch.as_str())),
        "{history}"
    );
    let kept_id = kept["id"].as_str().unwrap();
    let (_, history) = status_json(b.get(&format!("/api/v1/leads/{kept_id}/history")).await).await;
    assert_eq!(
        (
            history[0]["batch_id"].as_str(),
            &history[0]["changes"]["full_name"]
        ),
        (Some(batch.as_str()), &json!(["Alt", "Neu"])),
        "{history}"
    );

    // Undo takes back the whole import: the new leads go, the filled one is as before. Redo brings it back.
    let (_, u) = status_json(b.post_empty("/api/v1/leads/undo").await).await;
    assert_eq!(
        (u["affected"].as_i64(), u["batch_id"].as_str()),
        (Some(3), Some(batch.as_str())),
        "{u}"
    );
    let (_, page) = status_json(b.get("/api/v1/leads?sort=username").await).await;
    assert_eq!(names(&page), [("bestand".into(), "Alt".into())]);
    let (_, history) = status_json(b.get(&format!("/api/v1/leads/{new_id}/history")).await).await;
    assert!(history[0]["undone_at"].is_string(), "{history}");
    let (_, r) = status_json(b.post_empty("/api/v1/leads/redo").await).await;
    assert_eq!(r["affected"].as_i64(), Some(3), "{r}");
    let (_, page) = status_json(b.get("/api/v1/leads?sort=username").await).await;
    assert_eq!(names(&page).len(), 3);
    assert_eq!(page["items"][0]["full_name"], "Neu");

    // Undo goes on to the lead created by hand before the import.
    let (_, u) = status_json(b.post_empty("/api/v1/leads/undo").await).await;
    assert_eq!(u["batch_id"].as_str(), Some(batch.as_str()), "{u}");
    let (_, u) = status_json(b.post_empty("/api/v1/leads/undo").await).await;
    assert_ne!(u["batch_id"].as_str(), Some(batch.as_str()), "{u}");
    let (_, page) = status_json(b.get("/api/v1/leads").await).await;
    assert_eq!(page["total"], 0, "{page}");
}

#[tokio::test]
async fn a_username_added_after_the_reader_looked_conflicts_and_a_full_lookup_skips_it() {
    // The import's reader looks usernames up before the writer's transaction; a lead added in between (by hand,
    // in the grid) makes the chunk's insert conflict, and the writer then writes the chunk again looking
    // everything up itself (leads/import.rs, write_chunk).
    use leadgen_db::models::import::{Dedupe, DedupeKey, Known};
    use leadgen_db::models::lead::{Lead, LeadPatch};
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let (_, me) = status_json(admin.b.get("/api/v1/me").await).await;
    let owner = me["id"].as_str().unwrap().to_owned();
    let patch = |u: &str| {
        LeadPatch::from_values(
            json!({"username": u, "full_name": "Aus der Datei"})
                .as_object()
                .unwrap()
                .clone(),
        )
        .unwrap()
    };
    let rows = vec![(1, patch("added.meanwhile")), (2, patch("brand.new"))];
    // What the reader saw: neither username exists yet.
    let stale = Known::default();
    admin
        .b
        .post(
            "/api/v1/leads",
            &json!({"username": "added.meanwhile", "full_name": "Von Hand"}),
        )
        .await;
    let mut c = app.state.db.get().unwrap();
    let err = leadgen_db::write_tx(&mut c, |c| {
        Lead::import_batch(
            c,
            &owner,
            &rows,
            Dedupe::Skip,
            DedupeKey::Username,
            "b1",
            Some(stale),
        )
    })
    .unwrap_err();
    assert_eq!(err.code, leadgen_core::ErrorCode::Conflict);
    let out = leadgen_db::write_tx(&mut c, |c| {
        Lead::import_batch(
            c,
            &owner,
            &rows,
            Dedupe::Skip,
            DedupeKey::Username,
            "b1",
            None,
        )
    })
    .unwrap();
    assert_eq!((out.inserted, out.skipped), (1, 1));
    drop(c);
    let (_, page) = status_json(admin.b.get("/api/v1/leads?sort=username").await).await;
    let names: Vec<(&str, &str)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["username"].as_str().unwrap(),
                l["full_name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("added.meanwhile", "Von Hand"),
            ("brand.new", "Aus der Datei")
        ],
        "the lead added by hand is kept as it was"
    );
}

#[tokio::test]
async fn an_interrupted_import_resumes_with_the_rows_not_yet_written() {
    // Parts of an import commit with the file rows they cover (on PostgreSQL two writers commit out of order); a
    // run cut off by a restart is marked interrupted at the next start and, run again, writes only the rest.
    use diesel::connection::SimpleConnection;
    use leadgen_db::models::import::{BatchOutcome, Import};
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let b = &admin.b;
    let mut csv = String::from("username,full_name\n");
    for n in 1..=30 {
        csv.push_str(&format!("lead{n},Lead {n}\n"));
    }
    let mapping = json!(["username", "full_name"]);
    let (_, p) = upload(b, csv.clone()).await;
    let id = p["id"].as_str().unwrap().to_owned();
    // What the cut-off run had committed: rows 1–10 and 21–25, their leads written.
    for n in (1..=10).chain(21..=25) {
        b.post("/api/v1/leads", &json!({"username": format!("lead{n}")}))
            .await;
    }
    {
        let mut c = app.state.db.get().unwrap();
        assert!(Import::start(&mut c, &id, &json!({})).unwrap());
        let done = BatchOutcome {
            inserted: 15,
            ..BatchOutcome::default()
        };
        leadgen_db::write_tx(&mut c, |c| {
            Import::advance(c, &id, &[(1, 10), (21, 25)], &done, 0)
        })
        .unwrap();
        assert_eq!(Import::mark_interrupted(&mut c).unwrap(), 1);
    }
    let s = run_to_end(
        b,
        &id,
        json!({"mapping": mapping, "dedupe": "skip", "key": "username"}),
    )
    .await;
    assert_eq!(
        (
            s["status"].as_str(),
            s["processed"].as_i64(),
            s["inserted"].as_i64(),
            s["skipped"].as_i64(),
            s["failed"].as_i64()
        ),
        (Some("done"), Some(30), Some(30), Some(0), Some(0)),
        "only rows 11–20 and 26–30 were read again: {s}"
    );
    let (_, page) = status_json(b.get("/api/v1/leads?limit=100").await).await;
    assert_eq!(page["total"], 30, "{page}");

    // An import cut off before parts were recorded (an older version) counted a prefix of the file.
    let (_, p) = upload(b, csv.replace("lead", "prefix")).await;
    let id = p["id"].as_str().unwrap().to_owned();
    {
        let mut c = app.state.db.get().unwrap();
        c.batch_execute(&format!(
            "UPDATE imports SET status = 'interrupted', processed = 12 WHERE id = '{id}'"
        ))
        .unwrap();
    }
    let s = run_to_end(
        b,
        &id,
        json!({"mapping": mapping, "dedupe": "skip", "key": "username"}),
    )
    .await;
    assert_eq!(
        (s["processed"].as_i64(), s["inserted"].as_i64()),
        (Some(30), Some(18)),
        "{s}"
    );
    let (_, found) = status_json(b.get("/api/v1/leads?search=prefix12").await).await;
    assert_eq!(found["total"], 0, "row 12 was written before: {found}");
    let (_, found) = status_json(b.get("/api/v1/leads?search=prefix13").await).await;
    assert_eq!(found["total"], 1, "{found}");
}

/// Cells a spreadsheet would evaluate (starting with `=`, `+`, `-`, `@`, tab or carriage return) leave the export
/// with a `'` in front (the OWASP rule), so opening the file runs nothing; the lead keeps the value as entered;
/// and importing the export gives back exactly the values that were exported.
#[tokio::test]
async fn formulas_are_neutralised_on_export_and_imported_back_as_they_were() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let b = &admin.b;
    let leads = [
        ("f1", "=cmd|' /C calc'!A0", "\t=1+1"),
        (
            "f2",
            "+49 30 1234567",
            "=HYPERLINK(\"http://evil.example\",\"click\")",
        ),
        ("f3", "-2+3", "@SUM(A1:A2)"),
        ("f4", "'=quoted by hand", "\r=1+2"),
        ("f5", "''@twice", "plain text"),
        ("f6", "Anna = Bäckerin", "a - b + c"),
    ];
    for (username, name, bio) in leads {
        let (st, lead) = status_json(
            b.post(
                "/api/v1/leads",
                &json!({"username": username, "full_name": name, "biography": bio, "tags": ["=x"]}),
            )
            .await,
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{lead}");
        assert_eq!(
            (lead["full_name"].as_str(), lead["biography"].as_str()),
            (Some(name), Some(bio)),
            "stored as entered"
        );
    }
    let cols = "username,full_name,biography,tags";
    let export = || async {
        b.get(&format!(
            "/api/v1/leads/export?sort=username&columns={cols}"
        ))
        .await
        .text()
        .await
        .unwrap()
    };
    let csv = export().await;
    let cells: Vec<Vec<String>> = csv::Reader::from_reader(csv.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let expected = [
        ["f1", "'=cmd|' /C calc'!A0", "'\t=1+1", "'=x"],
        [
            "f2",
            "'+49 30 1234567",
            "'=HYPERLINK(\"http://evil.example\",\"click\")",
            "'=x",
        ],
        ["f3", "'-2+3", "'@SUM(A1:A2)", "'=x"],
        ["f4", "''=quoted by hand", "'\r=1+2", "'=x"],
        ["f5", "'''@twice", "plain text", "'=x"],
        ["f6", "Anna = Bäckerin", "a - b + c", "'=x"],
    ];
    assert_eq!(
        cells,
        expected.map(|r| r.map(str::to_owned).to_vec()),
        "{csv}"
    );
    for row in &cells {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a spreadsheet would evaluate {cell:?}"
            );
        }
    }
    // Another workspace imports the file and has the values that were exported.
    let other = app.user(&admin, "olga", "user").await;
    let done = import_csv(&other.b, csv.clone()).await;
    assert_eq!(
        (done["inserted"].as_i64(), done["failed"].as_i64()),
        (Some(6), Some(0)),
        "{done}"
    );
    let (_, page) = status_json(other.b.get("/api/v1/leads?sort=username").await).await;
    let got: Vec<(String, String, Vec<String>)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["full_name"].as_str().unwrap().to_owned(),
                l["biography"].as_str().unwrap().to_owned(),
                serde_json::from_value(l["tags"].clone()).unwrap(),
            )
        })
        .collect();
    let want: Vec<(String, String, Vec<String>)> = leads
        .iter()
        .map(|(_, n, bio)| (n.to_string(), bio.to_string(), vec!["=x".to_owned()]))
        .collect();
    assert_eq!(got, want);
    let again = other
        .b
        .get(&format!(
            "/api/v1/leads/export?sort=username&columns={cols}"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(again, csv);
}

/// A cell with a NUL (or another control character) is a bad row in the report; the import goes on and ends done.
#[tokio::test]
async fn a_nul_cell_is_a_bad_row_and_the_rest_of_the_file_imports() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let mut csv = String::from("username,full_name\n");
    for n in 1..=25_000 {
        if n == 15_000 {
            csv.push_str(&format!("row{n},Bad\u{0}Name\n"));
        } else {
            csv.push_str(&format!("row{n},Name {n}\n"));
        }
    }
    let done = import_csv(&admin.b, csv).await;
    assert_eq!(
        (
            done["status"].as_str(),
            done["processed"].as_i64(),
            done["inserted"].as_i64(),
            done["failed"].as_i64()
        ),
        (Some("done"), Some(25_000), Some(24_999), Some(1)),
        "{done}"
    );
    let errors = done["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{done}");
    assert_eq!(
        (errors[0]["row"].as_i64(), errors[0]["field"].as_str()),
        (Some(15_000), Some("full_name")),
        "{done}"
    );
    let (_, page) = status_json(admin.b.get("/api/v1/leads?search=row25000").await).await;
    assert_eq!(page["total"], 1, "rows after the bad one are there: {page}");
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut out = if big_endian {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for unit in text.encode_utf16() {
        out.extend(if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    out
}

/// UTF-16 files (as Excel's "Unicode text" saves them) are recognised by their byte-order mark and decoded; a file
/// that is neither UTF-8 nor UTF-16 with a BOM is refused with a 422 that says which encodings are expected.
#[tokio::test]
async fn utf16_uploads_are_decoded_and_other_encodings_are_refused_by_name() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let b = &admin.b;
    for (big_endian, username) in [(false, "anna.le"), (true, "anna.be")] {
        let text = format!("Benutzername\tName\n{username}\tÄnna Bäcker 🥐\n");
        let (st, p) = upload(b, utf16(&text, big_endian)).await;
        assert_eq!(st, StatusCode::CREATED, "{p}");
        assert_eq!(p["headers"], json!(["Benutzername", "Name"]), "{p}");
        assert_eq!(
            p["preview"][0]["values"],
            json!([username, "Änna Bäcker 🥐"])
        );
        let done = run_to_end(
            b,
            p["id"].as_str().unwrap(),
            json!({"mapping": p["mapping"], "dedupe": "skip", "key": "username"}),
        )
        .await;
        assert_eq!(done["inserted"], 1, "{done}");
    }
    let (_, page) = status_json(b.get("/api/v1/leads?sort=username").await).await;
    let names: Vec<(&str, &str)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["username"].as_str().unwrap(),
                l["full_name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        vec![("anna.be", "Änna Bäcker 🥐"), ("anna.le", "Änna Bäcker 🥐")]
    );
    // Latin-1 in the header, in a later row, and UTF-16 without its BOM.
    let latin1_header = b"Benutzername;Stra\xdfe\nanna;x\n".to_vec();
    let latin1_row = b"username,full_name\nanna,B\xe4cker\n".to_vec();
    let mut no_bom = utf16("username,full_name\nanna,Anna\n", false);
    no_bom.drain(..2);
    for body in [latin1_header, latin1_row, no_bom] {
        let (st, answer) = upload(b, body).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        let problem = &answer["error"]["details"]["fields"]["file"][0];
        assert_eq!(problem["code"], "encoding", "{answer}");
        let message = problem["message"].as_str().unwrap();
        assert!(
            message.contains("UTF-8") && message.contains("UTF-16"),
            "{message}"
        );
    }
}

/// Uploaded files live only as long as they are needed: removed when their import ends, and when they were not
/// run within a day (by the hourly sweep job; they stop counting against the quota at once); what a user keeps
/// stored is capped.
#[tokio::test]
async fn uploads_are_removed_when_their_import_ends_or_is_abandoned_and_capped_per_user() {
    use diesel::connection::SimpleConnection;
    let app = spawn_app_with(|s| s.upload_quota_bytes = 1000).await;
    let admin = app.first_admin().await;
    let b = &admin.b;
    let stored = || {
        std::fs::read_dir(app.dir.path().join("imports"))
            .map(|d| d.count())
            .unwrap_or(0)
    };
    let small = |tag: &str| format!("username,full_name\n{tag}1,One\n{tag}2,Two\n");
    // Run to the end: its file is gone.
    let (_, done_upload) = upload(b, small("done")).await;
    assert_eq!(stored(), 1);
    let done = run_to_end(
        b,
        done_upload["id"].as_str().unwrap(),
        json!({"mapping": done_upload["mapping"], "dedupe": "skip", "key": "username"}),
    )
    .await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(stored(), 0, "removed when the import finished");
    // Uploaded and left: removed a day later by the next hourly sweep; running it then says why it cannot.
    let (_, left) = upload(b, small("left")).await;
    let left_id = left["id"].as_str().unwrap().to_owned();
    assert_eq!(stored(), 1);
    let a_day_ago = match backend() {
        Backend::Sqlite => "datetime(created_at, '-25 hours')",
        Backend::Postgres => "created_at - INTERVAL '25 hours'",
    };
    app.state
        .db
        .get()
        .unwrap()
        .batch_execute(&format!(
            "UPDATE imports SET created_at = {a_day_ago} WHERE id = '{left_id}'"
        ))
        .unwrap();
    let (st, fresh) = upload(b, small("fresh")).await;
    assert_eq!(st, StatusCode::CREATED, "{fresh}");
    app.state
        .clock
        .advance(std::time::Duration::from_secs(3600));
    for _ in 0..600 {
        if stored() == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(stored(), 1, "only the new upload is kept");
    let (st, answer) = status_json(
        b.post(
            &format!("/api/v1/imports/{left_id}/run"),
            &json!({"mapping": left["mapping"], "dedupe": "skip", "key": "username"}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CONFLICT, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("upload it again"),
        "{answer}"
    );
    // The cap: what is stored plus the new file may not pass it; the answer says how much is allowed.
    let big = format!("username,full_name\n{}", "big,Big Name\n".repeat(74)); // 981 bytes
    let (st, answer) = upload(b, big.clone()).await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    assert_eq!(error_code(&answer), "payload_too_large", "{answer}");
    assert_eq!(
        (
            answer["error"]["details"]["quota_bytes"].as_i64(),
            answer["error"]["details"]["stored_bytes"].as_i64()
        ),
        (Some(1000), Some(41)),
        "{answer}"
    );
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1000 bytes"),
        "{answer}"
    );
    assert_eq!(stored(), 1, "the refused file is not kept");
    // Once the waiting upload is imported, its room is free again.
    run_to_end(
        b,
        fresh["id"].as_str().unwrap(),
        json!({"mapping": fresh["mapping"], "dedupe": "skip", "key": "username"}),
    )
    .await;
    let (st, answer) = upload(b, big).await;
    assert_eq!(st, StatusCode::CREATED, "{answer}");
}

/// The upload takes the file itself as the body: a multipart form (or any type it does not take) is refused with 415
/// rather than its boundary being read as the header row.
#[tokio::test]
async fn an_upload_that_is_not_the_file_itself_answers_415() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let send = |ct: &'static str, body: &'static [u8]| {
        let b = admin.b.clone();
        async move {
            let res = b
                .http
                .post(format!("{}/api/v1/imports", b.base))
                .header("x-csrf-token", b.csrf_token())
                .header("content-type", ct)
                .body(body)
                .send()
                .await
                .unwrap();
            status_json(res).await
        }
    };
    let form = b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\nusername\r\nalpha\r\n--XyZ--\r\n";
    let (st, body) = send("multipart/form-data; boundary=XyZ", form).await;
    assert_eq!(
        (st, error_code(&body)),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
        "{body}"
    );
    let (st, body) = send("application/json", b"username\nalpha\n").await;
    assert_eq!(st, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    let (st, body) = send("application/octet-stream", b"username\nalpha\n").await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    assert_eq!(body["mapping"], json!(["username"]));
    let (st, body) = send("text/csv; charset=utf-8", b"username\nalpha\n").await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    // Bytes that are not text at all (a PNG) are a bad file, not a server error.
    let (st, body) = send(
        "application/octet-stream",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\xff\xfe",
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}
