//! Gmail mailboxes: connect through the (sandbox) Google consent, the single-use 10-minute state, the refresh token
//! kept encrypted, listing and disconnecting only one's own; and the usage the consent leaves behind.

use leadgen_api_tests::*;
use leadgen_db::models::mailbox::Mailbox;
use reqwest::StatusCode;
use serde_json::{json, Value};

const CLIENT_SECRET: &str = "GOCSPX-sandbox-client-secret-4242";

async fn app_with_google() -> (TestApp, provider_sim::SimHandle, Account) {
    let sim = provider_sim::spawn(1);
    let base = sim.base_url();
    let app = spawn_app_with(|s| leadgen_server::cli::point_at_sandbox(s, &base)).await;
    let admin = app.first_admin().await;
    let (status, body) = status_json(
        admin
            .b
            .put(
                "/api/v1/admin/providers",
                &json!({"settings": [
                    {"provider": "google", "field": "client_id", "value": "1234-sandbox.apps.googleusercontent.com"},
                    {"provider": "google", "field": "client_secret", "value": CLIENT_SECRET},
                ]}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (app, sim, admin)
}

/// A client that does not follow redirects and has no cookies: Google's redirect back is a cross-site navigation,
/// and the session cookie (SameSite=Strict) does not come with it.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location in {res:?}"))
        .to_str()
        .unwrap()
        .to_owned()
}

/// Asks for the consent URL and goes through the sandbox's consent page; returns the callback URL it sent back to.
async fn consent(user: &Account) -> String {
    consent_as(user, None).await
}

/// The same, with the sandbox's consent picking `address` (`login_hint`).
async fn consent_as(user: &Account, address: Option<&str>) -> String {
    let (status, body) = status_json(user.b.post_empty("/api/v1/me/mailboxes/connect").await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut url = body["authorize_url"].as_str().unwrap().to_owned();
    if let Some(a) = address {
        url.push_str(&format!("&login_hint={}", a.replace('@', "%40")));
    }
    let res = no_redirects().get(&url).send().await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::FOUND,
        "the consent page approves at once"
    );
    location(&res)
}

/// Follows the callback like the browser does; returns where it sent the browser.
async fn callback(url: &str) -> String {
    let res = no_redirects().get(url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{url}");
    location(&res)
}

async fn mailboxes(user: &Account) -> Value {
    let (status, body) = status_json(user.b.get("/api/v1/me/mailboxes").await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn a_user_links_a_gmail_mailbox_through_the_consent_and_sees_it_listed() {
    let (app, sim, admin) = app_with_google().await;
    let user = app.user(&admin, "mia", "user").await;
    let before = mailboxes(&user).await;
    assert_eq!(before["items"], json!([]));
    assert_eq!(before["can_connect"], true);

    let (_, body) = status_json(user.b.post_empty("/api/v1/me/mailboxes/connect").await).await;
    let url = url::Url::parse(body["authorize_url"].as_str().unwrap()).unwrap();
    assert!(url.as_str().starts_with(&format!(
        "{}/google-accounts/o/oauth2/v2/auth",
        sim.base_url()
    )));
    let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(q["access_type"], "offline");
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["redirect_uri"], app.url("/api/v1/oauth/google/callback"));
    for scope in ["gmail.send", "gmail.readonly", "gmail.compose"] {
        assert!(q["scope"].contains(scope), "{scope} in {}", q["scope"]);
    }
    assert!(q["state"].len() >= 40, "a long random state");
    assert!(
        !app.dump_database().contains(&q["state"]),
        "only the state's hash is stored"
    );

    let back = callback(&consent(&user).await).await;
    assert_eq!(
        back, "/settings/connections?mailbox=connected&address=sandbox.user%40gmail.com",
        "back to the Connections page"
    );
    let list = mailboxes(&user).await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["address"], "sandbox.user@gmail.com");
    assert_eq!(items[0]["status"], "connected");
    assert!(items[0]["connected_at"].is_string());
    assert_eq!(items[0]["last_used_at"], Value::Null);
    assert!(!list.to_string().contains("1//"), "no token in the answer");

    // The code was exchanged with the stored client secret, and the address read from the Gmail profile.
    let token_calls: Value = reqwest::get(format!(
        "{}/_sim/requests?provider=google&route=token",
        sim.base_url()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let sent = token_calls["requests"].as_array().unwrap();
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0]["body"].to_string().contains("authorization_code"),
        "{sent:?}"
    );

    // The refresh token is kept encrypted, bound to its row: it decrypts there, and is nowhere in clear.
    let id = items[0]["id"].as_str().unwrap().to_owned();
    let blob = {
        use diesel::prelude::*;
        use leadgen_db::schema::mailboxes;
        let mut c = app.state.db.get().unwrap();
        mailboxes::table
            .find(&id)
            .select(mailboxes::refresh_token_enc)
            .first::<Vec<u8>>(&mut *c)
            .unwrap()
    };
    let refresh = app
        .state
        .secrets
        .keyring
        .decrypt_str(&blob, Mailbox::slot(&id))
        .unwrap();
    assert!(refresh.starts_with("1//sim."), "{refresh}");
    assert!(app
        .state
        .secrets
        .keyring
        .decrypt_str(&blob, Mailbox::slot("another-row"))
        .is_err());
    let dump = app.dump_database();
    assert!(!dump.contains(&refresh), "the refresh token in clear");
    assert!(!dump.contains(CLIENT_SECRET), "the client secret in clear");

    // Connecting the same address again replaces its token in place; another address is a second mailbox.
    callback(&consent_as(&user, Some("sandbox.user@gmail.com")).await).await;
    let again = mailboxes(&user).await;
    assert_eq!(again["items"].as_array().unwrap().len(), 1, "{again}");
    assert_eq!(again["items"][0]["id"], id.as_str(), "the same row");
    callback(&consent_as(&user, Some("mia.sales@gmail.com")).await).await;
    let list = mailboxes(&user).await;
    let addresses: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["address"].as_str().unwrap())
        .collect();
    assert_eq!(
        addresses,
        vec!["sandbox.user@gmail.com", "mia.sales@gmail.com"]
    );

    // Usage: the code exchanges and profile reads are recorded for mia.
    let (status, usage) = status_json(admin.b.get("/api/v1/admin/providers/usage").await).await;
    assert_eq!(status, StatusCode::OK, "{usage}");
    let mine: Vec<&Value> = usage["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["username"] == "mia")
        .collect();
    let calls = |p: &str| {
        mine.iter()
            .find(|i| i["provider"] == p)
            .map(|i| i["calls"].clone())
    };
    assert_eq!(calls("google"), Some(json!(3)), "{usage}");
    assert_eq!(calls("gmail"), Some(json!(3)), "{usage}");
}

#[tokio::test]
async fn a_state_works_once_and_only_for_ten_minutes() {
    let (app, _sim, admin) = app_with_google().await;
    let user = app.user(&admin, "mia", "user").await;

    // Used twice: the second is refused, and nothing new is linked.
    let url = consent(&user).await;
    assert!(callback(&url).await.contains("mailbox=connected"));
    assert_eq!(
        callback(&url).await,
        "/settings/connections?mailbox_error=state_used"
    );
    assert_eq!(mailboxes(&user).await["items"].as_array().unwrap().len(), 1);

    // Eleven minutes on the clock: expired.
    let url = consent(&user).await;
    app.state
        .clock
        .advance(std::time::Duration::from_secs(11 * 60));
    assert_eq!(
        callback(&url).await,
        "/settings/connections?mailbox_error=state_expired"
    );
    // Nine minutes is still in time.
    let url = consent(&user).await;
    app.state
        .clock
        .advance(std::time::Duration::from_secs(9 * 60));
    assert!(callback(&url).await.contains("mailbox=connected"));

    // A made-up state, and none at all.
    let made_up =
        app.url("/api/v1/oauth/google/callback?state=forged-state-value&code=4%2F0Asim.x.1");
    assert_eq!(
        callback(&made_up).await,
        "/settings/connections?mailbox_error=state_unknown"
    );
    let none = app.url("/api/v1/oauth/google/callback?code=abc");
    assert_eq!(
        callback(&none).await,
        "/settings/connections?mailbox_error=state_unknown"
    );

    // The user said no on the consent page: the state is spent, nothing linked.
    let (_, body) = status_json(user.b.post_empty("/api/v1/me/mailboxes/connect").await).await;
    let state = url::Url::parse(body["authorize_url"].as_str().unwrap())
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let denied = app.url(&format!(
        "/api/v1/oauth/google/callback?error=access_denied&state={state}"
    ));
    assert_eq!(
        callback(&denied).await,
        "/settings/connections?mailbox_error=access_denied"
    );
    assert_eq!(mailboxes(&user).await["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_rejected_client_secret_ends_with_the_provider_error() {
    let (_app, _sim, admin) = app_with_google().await;
    let url = consent(&admin).await;
    status_json(
        admin
            .b
            .put(
                "/api/v1/admin/providers",
                &json!({"settings": [{"provider": "google", "field": "client_secret", "value": "GOCSPX-invalid-secret-0000"}]}),
            )
            .await,
    )
    .await;
    assert_eq!(
        callback(&url).await,
        "/settings/connections?mailbox_error=provider_auth_failed"
    );
    assert_eq!(mailboxes(&admin).await["items"], json!([]));
}

#[tokio::test]
async fn mailboxes_are_private_and_disconnect_removes_the_token() {
    let (app, _sim, admin) = app_with_google().await;
    let mia = app.user(&admin, "mia", "user").await;
    let otto = app.user(&admin, "otto", "user").await;
    callback(&consent(&mia).await).await;
    let id = mailboxes(&mia).await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    assert_eq!(mailboxes(&otto).await["items"], json!([]));
    let (status, body) =
        status_json(otto.b.delete(&format!("/api/v1/me/mailboxes/{id}")).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another user's mailbox");
    assert_eq!(error_code(&body), "not_found");
    let (status, _) =
        status_json(admin.b.delete(&format!("/api/v1/me/mailboxes/{id}")).await).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "an admin's own list does not hold it either"
    );
    assert_eq!(mailboxes(&mia).await["items"].as_array().unwrap().len(), 1);

    let status = mia
        .b
        .delete(&format!("/api/v1/me/mailboxes/{id}"))
        .await
        .status();
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(mailboxes(&mia).await["items"], json!([]));
    let status = mia
        .b
        .delete(&format!("/api/v1/me/mailboxes/{id}"))
        .await
        .status();
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, audit) = status_json(
        admin
            .b
            .get("/api/v1/admin/audit?action=mailbox.disconnected")
            .await,
    )
    .await;
    assert_eq!(audit["total"], 1, "{audit}");
    assert_eq!(
        audit["items"][0]["details"]["address"],
        "sandbox.user@gmail.com"
    );
}

#[tokio::test]
async fn connecting_needs_the_google_client_and_a_session() {
    let app = spawn_app().await;
    let admin = app.first_admin().await;
    let list = mailboxes(&admin).await;
    assert_eq!(list["can_connect"], false);
    let (status, body) =
        status_json(admin.b.post_empty("/api/v1/me/mailboxes/connect").await).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["details"]["provider"], "google");
    let status = app.browser().get("/api/v1/me/mailboxes").await.status();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
