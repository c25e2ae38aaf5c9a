use crate::common::Sim;

#[tokio::test]
async fn sends_a_message() {
    let sim = Sim::start();
    let m = sim.telegram().send_message("4242", "<b>Challenge</b> on @anna", Some("HTML")).await.unwrap();
    assert!(m.message_id > 0);
    let req = &sim.requests("telegram", "send_message").await[0];
    assert_eq!(req["path"], "/telegram/bot123456:AAsecretBotToken/sendMessage");
    let body: serde_json::Value = serde_json::from_str(req["body"].as_str().unwrap()).unwrap();
    assert_eq!(body, serde_json::json!({"chat_id": "4242", "text": "<b>Challenge</b> on @anna", "parse_mode": "HTML"}));
}
