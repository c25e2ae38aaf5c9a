//! What a new user sees of their work: the import check before a run and the skipped rows after it, the
//! dashboard's figures, the Excel export, and the do-not-contact list in bulk.

use crate::import::{run_to_end, upload};
use leadgen_api_tests::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn add_lead(b: &Browser, body: Value) -> Value {
    let (st, lead) = status_json(b.post("/api/v1/leads", &body).await).await;
    assert_eq!(st, StatusCode::CREATED, "{lead}");
    lead
}

#[tokio::test]
async fn the_import_check_counts_failures_and_duplicates_before_the_run_and_the_report_lists_skips()
{
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let b = &admin.b;
    add_lead(b, json!({"username": "anna"})).await;
    // Another user's lead with the same username is not "existing" for this workspace.
    let other = app.user(&admin, "other", "user").await;
    add_lead(&other.b, json!({"username": "dora"})).await;

    let csv = "Vollständiger Name,Benutzername,Follower\n\
               Anna A,anna,10\n\
               Ben B,ben,20\n\
               Ben again,ben,30\n\
               Carla C,carla,lots\n\
               Dora D,dora,40\n\
               No Name,,50\n";
    let (st, p) = upload(b, csv).await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    assert_eq!(p["mapping"], json!(["full_name", "username", "followers"]));
    let check = &p["check"];
    assert_eq!(
        (
            &check["bad_rows"],
            &check["duplicates_in_file"],
            &check["existing"],
            &check["new_rows"]
        ),
        (&json!(2), &json!(1), &json!(1), &json!(2)),
        "{check}"
    );
    let bad: Vec<(i64, &str)> = check["bad"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_i64().unwrap(), e["field"].as_str().unwrap()))
        .collect();
    assert_eq!(bad, vec![(4, "followers"), (6, "username")]);

    // Without a username column there is nothing to check.
    let id = p["id"].as_str().unwrap();
    let (st, p2) = status_json(
        b.post(
            &format!("/api/v1/imports/{id}/preview"),
            &json!({"mapping": ["full_name", null, "followers"]}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{p2}");
    assert_eq!(p2["check"], Value::Null);

    let done = run_to_end(
        b,
        id,
        json!({"mapping": p["mapping"], "dedupe": "skip", "key": "username"}),
    )
    .await;
    assert_eq!(done["status"], "done", "{done}");
    // What the check said is what happened.
    assert_eq!(
        (&done["inserted"], &done["skipped"], &done["failed"]),
        (&json!(2), &json!(2), &json!(2)),
        "{done}"
    );
    let skipped: Vec<(i64, String)> = done["skipped_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                e["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        skipped,
        vec![
            (1, "@anna is already a lead (kept as it was)".to_owned()),
            (3, "@ben repeats an earlier row of the file".to_owned()),
        ]
    );
}

#[tokio::test]
async fn the_dashboard_counts_your_own_leads_by_status_and_your_imports() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let other = app.user(&admin, "other", "user").await;

    // A new workspace: nothing yet.
    let (st, d) = status_json(other.b.get("/api/v1/dashboard").await).await;
    assert_eq!(st, StatusCode::OK, "{d}");
    assert_eq!(d["total_leads"], 0);
    assert_eq!(d["by_status"], json!([]));
    assert_eq!(d["recent_imports"], json!([]));

    let b = &admin.b;
    add_lead(b, json!({"username": "a1"})).await;
    add_lead(b, json!({"username": "a2", "email": "a2@example.de"})).await;
    add_lead(b, json!({"username": "a3", "status": "replied"})).await;
    add_lead(b, json!({"username": "a4", "status": "bounced"})).await;
    let gone = add_lead(b, json!({"username": "a5"})).await;
    let (st, _) = status_json(
        b.delete(&format!("/api/v1/leads/{}", gone["id"].as_str().unwrap()))
            .await,
    )
    .await;
    assert!(st.is_success());
    let (st, p) = upload(b, "username\nimp1\nimp2\n").await;
    assert_eq!(st, StatusCode::CREATED);
    run_to_end(
        b,
        p["id"].as_str().unwrap(),
        json!({"mapping": p["mapping"], "dedupe": "skip", "key": "username"}),
    )
    .await;

    let (st, d) = status_json(b.get("/api/v1/dashboard").await).await;
    assert_eq!(st, StatusCode::OK, "{d}");
    assert_eq!(d["total_leads"], 6, "deleted leads are not counted: {d}");
    assert_eq!(d["by_status"][0], json!({"status": "new", "count": 4}));
    assert_eq!(
        d["attention"],
        json!({"replied": 1, "bounced": 1, "new_without_email": 3, "unfinished_imports": 0, "drafts_to_review": 0})
    );
    assert_eq!(d["recent_imports"][0]["inserted"], 2);
    assert_eq!(d["recent_imports"][0]["status"], "done");

    // The other workspace still sees only its own (nothing).
    let (_, d) = status_json(other.b.get("/api/v1/dashboard").await).await;
    assert_eq!(d["total_leads"], 0);
    assert_eq!(d["recent_imports"], json!([]));
}

#[tokio::test]
async fn the_excel_export_has_a_bom_semicolons_and_a_file_name_with_view_and_date() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let b = &admin.b;
    add_lead(
        b,
        json!({"username": "oeko", "full_name": "Ökohof Müller; Söhne"}),
    )
    .await;

    let res = b
        .get("/api/v1/leads/export?format=excel&columns=username,full_name&view=Bäcker%20Köln")
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let today = chrono::Utc::now().date_naive();
    assert_eq!(
        res.headers()["content-disposition"].to_str().unwrap(),
        format!("attachment; filename=\"leads-baecker-koeln-{today}.csv\"")
    );
    let bytes = res.bytes().await.unwrap();
    assert!(
        bytes.starts_with(&[0xEF, 0xBB, 0xBF]),
        "starts with the BOM"
    );
    assert_eq!(
        std::str::from_utf8(&bytes[3..]).unwrap(),
        "username;full_name\r\noeko;\"Ökohof Müller; Söhne\"\r\n"
    );

    // The plain CSV is unchanged; `columns=all` (or none) is every column.
    let res = b.get("/api/v1/leads/export?columns=all").await;
    assert_eq!(
        res.headers()["content-disposition"].to_str().unwrap(),
        format!("attachment; filename=\"leads-{today}.csv\"")
    );
    let text = res.text().await.unwrap();
    assert!(text.starts_with("username,full_name,biography,"), "{text}");
    let (st, err) = status_json(b.get("/api/v1/leads/export?format=xlsx").await).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
}

async fn dnc_reasons(b: &Browser) -> Vec<(String, String)> {
    let (st, page) = status_json(b.get("/api/v1/do-not-contact?limit=500").await).await;
    assert_eq!(st, StatusCode::OK, "{page}");
    let mut v: Vec<(String, String)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                format!(
                    "{}:{}",
                    e["kind"].as_str().unwrap(),
                    e["value"].as_str().unwrap()
                ),
                e["reason"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn do_not_contact_entries_say_where_they_came_from_and_the_list_goes_in_and_out_in_bulk() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let b = &admin.b;
    add_lead(b, json!({"username": "anna", "email": "anna@example.de"})).await;
    let grid = add_lead(b, json!({"username": "gert", "email": "gert@example.de"})).await;
    let pasted = add_lead(b, json!({"username": "paula", "email": "paula@example.de"})).await;

    // Added on the page (no reason given); its lead's e-mail comes with it, not "Marked in the grid".
    let (st, _) = status_json(
        b.post(
            "/api/v1/do-not-contact",
            &json!({"kind": "username", "value": "anna"}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::CREATED);
    // Marked in the grid.
    let (st, _) = status_json(
        b.patch(
            &format!("/api/v1/leads/{}", grid["id"].as_str().unwrap()),
            &json!({"status": "do_not_contact"}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    // Pasted: usernames and e-mails mixed, blanks ignored, bad ones listed, known ones kept as they were.
    let (st, r) = status_json(
        b.post(
            "/api/v1/do-not-contact/bulk",
            &json!({"values": ["@Paula", "spam@shop.de", "", "not valid!", "anna"], "source": "paste"}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(
        (&r["added"], &r["already_listed"], &r["leads_marked"]),
        (&json!(2), &json!(1), &json!(1)),
        "{r}"
    );
    assert_eq!(r["invalid"][0]["value"], "not valid!");
    let (_, p) = status_json(
        b.get(&format!("/api/v1/leads/{}", pasted["id"].as_str().unwrap()))
            .await,
    )
    .await;
    assert_eq!(p["status"], "do_not_contact");
    // Imported from a file.
    let (st, r) = status_json(
        b.post(
            "/api/v1/do-not-contact/bulk",
            &json!({"values": ["blocked@list.de"], "source": "file", "filename": "sperrliste.csv"}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{r}");

    let page = "Added on the do-not-contact page";
    let paste = "Pasted on the do-not-contact page";
    assert_eq!(
        dnc_reasons(b).await,
        vec![
            (
                "email:anna@example.de".into(),
                format!("{page} (with anna)")
            ),
            (
                "email:blocked@list.de".into(),
                "Imported from sperrliste.csv on the do-not-contact page".into()
            ),
            ("email:gert@example.de".into(), "Marked in the grid".into()),
            ("email:paula@example.de".into(), paste.into()),
            ("email:spam@shop.de".into(), paste.into()),
            ("username:anna".into(), page.into()),
            ("username:gert".into(), "Marked in the grid".into()),
            ("username:paula".into(), paste.into()),
        ]
    );

    // Nothing in the list may be invalid JSON-wise: an empty list is a 422.
    let (st, _) = status_json(
        b.post(
            "/api/v1/do-not-contact/bulk",
            &json!({"values": [], "source": "paste"}),
        )
        .await,
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);

    // The export holds every entry, with its reason.
    let res = b.get("/api/v1/do-not-contact/export").await;
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("kind,value,reason,created_at"));
    assert_eq!(text.lines().count(), 9, "{text}");
    assert!(
        text.contains("username,paula,Pasted on the do-not-contact page,"),
        "{text}"
    );
}
