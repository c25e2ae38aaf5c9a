//! Perplexity (Sonar) and OpenAI chat completions. Answers follow the requested JSON schema, echo the lead's name
//! found in the prompt, and (Perplexity) find contacts for some accounts and not for others.

use serde_json::{json, Map, Value};

use super::err;
use crate::data::{self, Contact, Rng};
use crate::errors::{check_credential, Kind};
use crate::http::{Reply, Req};
use crate::state::State;

const PERPLEXITY_MODELS: &[&str] = &[
    "sonar",
    "sonar-pro",
    "sonar-reasoning",
    "sonar-reasoning-pro",
    "sonar-deep-research",
];

/// What the prompt says about the lead.
pub struct Lead {
    pub name: Option<String>,
    pub handle: Option<String>,
    pub email: Option<String>,
}

struct Ctx {
    name: String,
    first: String,
    handle: String,
    lang: &'static str,
    /// Perplexity: what the search found; OpenAI: `None`.
    contact: Option<Contact>,
    prompt_email: Option<String>,
    /// A line `Instruction: …` in the prompt (a regeneration's wish): the e-mail body ends with it as a P.S.
    instruction: Option<String>,
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'.'
}

/// `key: value` / `"key": "value"` / `key = value`, the key standing as a word of its own.
fn keyed_value(prompt: &str, keys: &[&str]) -> Option<String> {
    let lower = prompt.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    for key in keys {
        let mut from = 0;
        while let Some(pos) = lower[from..].find(key) {
            let at = from + pos;
            from = at + key.len();
            if at > 0 && (is_word(bytes[at - 1]) || bytes[at - 1] == b'-') {
                continue;
            }
            let rest = &prompt[from..];
            let rest = rest.trim_start_matches(['"', '\'', ' ', '*']);
            let Some(rest) = rest.strip_prefix(':').or_else(|| rest.strip_prefix('=')) else {
                continue;
            };
            let rest = rest.trim_start_matches([' ', '"', '\'', '*']);
            let value: String = rest
                .chars()
                .take_while(|c| !matches!(c, '\n' | '"' | ',' | ';' | '|' | '}' | '\r'))
                .collect();
            let value = value
                .trim()
                .trim_end_matches(['*', '\''])
                .trim()
                .to_string();
            if !value.is_empty() && value.chars().count() <= 80 && value != "null" {
                return Some(value);
            }
        }
    }
    None
}

fn find_handle(prompt: &str) -> Option<String> {
    if let Some(v) = keyed_value(prompt, &["username", "handle", "instagram"]) {
        let v = v.trim_start_matches('@');
        let v = v.trim_end_matches('/').rsplit('/').next().unwrap_or(v);
        if !v.is_empty()
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
        {
            return Some(v.to_lowercase());
        }
    }
    if let Some(pos) = prompt.find("instagram.com/") {
        let h: String = prompt[pos + 14..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '_')
            .collect();
        if h.len() >= 2 {
            return Some(h.to_lowercase());
        }
    }
    let b = prompt.as_bytes();
    for (i, _) in prompt.match_indices('@') {
        if i > 0 && is_word(b[i - 1]) {
            continue;
        }
        let h: String = prompt[i + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '_')
            .collect();
        let h = h.trim_end_matches('.').to_string();
        if h.len() >= 2 {
            return Some(h.to_lowercase());
        }
    }
    None
}

fn find_email(prompt: &str) -> Option<String> {
    prompt
        .split(|c: char| {
            c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ';' | '<' | '>' | '(' | ')')
        })
        .find(|w| {
            let Some((l, d)) = w.split_once('@') else {
                return false;
            };
            !l.is_empty() && d.contains('.') && !d.ends_with('.')
        })
        .map(str::to_string)
}

pub fn extract_lead(prompt: &str) -> Lead {
    Lead {
        name: keyed_value(
            prompt,
            &[
                "full_name",
                "fullname",
                "full name",
                "ownerfullname",
                "vollständiger name",
                "name",
                "vorname",
                "first_name",
                "firstname",
            ],
        ),
        handle: find_handle(prompt),
        email: find_email(prompt),
    }
}

fn prompt_of(body: &Value) -> String {
    let mut out = String::new();
    for m in body
        .get("messages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match m.get("content") {
            Some(Value::String(s)) => out.push_str(s),
            Some(Value::Array(parts)) => {
                for p in parts {
                    if let Some(t) = p.get("text").and_then(Value::as_str) {
                        out.push_str(t);
                        out.push('\n');
                    }
                }
            }
            _ => {}
        }
        out.push('\n');
    }
    out
}

fn tokens(s: &str) -> u64 {
    (s.chars().count() as u64).div_ceil(4)
}

fn lang_of(prompt: &str) -> &'static str {
    let l = prompt.to_lowercase();
    if l.contains("in english")
        || l.contains("auf englisch")
        || l.contains("language: en")
        || l.contains("language: english")
    {
        "en"
    } else {
        "de"
    }
}

fn ctx_for(lead: &Lead, prompt: &str, contact: Option<Contact>) -> Ctx {
    let name = lead
        .name
        .clone()
        .or_else(|| lead.handle.clone())
        .unwrap_or_else(|| "there".into());
    let first = name.split_whitespace().next().unwrap_or(&name).to_string();
    Ctx {
        first,
        handle: lead
            .handle
            .clone()
            .unwrap_or_else(|| name.to_lowercase().replace(' ', ".")),
        name,
        lang: lang_of(prompt),
        contact,
        prompt_email: lead.email.clone(),
        instruction: instruction_of(prompt),
    }
}

/// The rest of the last line starting with `Instruction:`.
fn instruction_of(prompt: &str) -> Option<String> {
    prompt
        .lines()
        .filter_map(|l| {
            let t = l.trim();
            t.get(..12)
                .filter(|h| h.eq_ignore_ascii_case("instruction:"))
                .map(|_| t[12..].trim().to_string())
        })
        .rfind(|i| !i.is_empty())
}

fn check_common(st: &State, provider: &str, req: &Req) -> Result<Value, Reply> {
    if let Err(k) = check_credential(req.bearer().as_deref()) {
        return Err(err(st, provider, "chat_completions", k));
    }
    let Some(body) = req.json() else {
        return Err(err(
            st,
            provider,
            "chat_completions",
            Kind::BadRequest("We could not parse the JSON body of your request.".into()),
        ));
    };
    if body
        .get("model")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(err(
            st,
            provider,
            "chat_completions",
            Kind::BadRequest("you must provide a model parameter".into()),
        ));
    }
    if body
        .get("messages")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty)
    {
        return Err(err(
            st,
            provider,
            "chat_completions",
            Kind::BadRequest("Missing required parameter: 'messages'.".into()),
        ));
    }
    Ok(body)
}

fn think(content: String) -> String {
    format!("<think>\nThe user wants a structured answer. I will look at the facts and answer in the requested format.\n</think>\n{content}")
}

pub fn perplexity(st: &mut State, req: &Req) -> Reply {
    let body = match check_common(st, "perplexity", req) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if !PERPLEXITY_MODELS.contains(&model.as_str()) {
        return err(
            st,
            "perplexity",
            "chat_completions",
            Kind::BadRequest(format!(
                "Invalid model '{model}'. Permitted models can be found in the documentation."
            )),
        );
    }
    let seed = st.seed();
    let prompt = prompt_of(&body);
    let mut lead = extract_lead(&prompt);
    if lead.name.is_none() {
        // The search "finds" the account's name when the prompt only gives the handle.
        lead.name = lead
            .handle
            .as_deref()
            .map(|h| data::profile(seed, h).full_name);
    }
    let key = lead.handle.clone().or(lead
        .name
        .as_ref()
        .map(|n| n.to_lowercase().replace(' ', "")));
    let contact = data::contact_search(seed, key.as_deref().unwrap_or("unknown"));
    let sources = contact.sources.clone();
    let found = contact.found;
    let ctx = ctx_for(&lead, &prompt, Some(contact));
    let content = match schema_of(&body) {
        Some(schema) => fill(&schema, &schema, "", &ctx, 0).to_string(),
        None if body
            .pointer("/response_format/type")
            .and_then(Value::as_str)
            == Some("json_object") =>
        {
            contact_object(&ctx).to_string()
        }
        None => contact_text(&ctx, found),
    };
    let content = if st.flags.perplexity_think_prefix {
        think(content)
    } else {
        content
    };
    let pt = tokens(&prompt) + 8;
    let ct = tokens(&content);
    let mut r = Rng::new(seed, &format!("pplx:{prompt}"));
    let mut out = json!({
        "id": format!("{}-{}-{}-{}", r.alnum(8), r.alnum(4), r.alnum(4), r.alnum(12)).to_lowercase(),
        "model": model,
        "created": chrono::Utc::now().timestamp(),
        "object": "chat.completion",
        "choices": [{
            "index": 0,
            "finish_reason": "stop",
            "message": {"role": "assistant", "content": content},
            "delta": {"role": "assistant", "content": ""},
        }],
        "usage": {
            "prompt_tokens": pt,
            "completion_tokens": ct,
            "total_tokens": pt + ct,
            "citation_tokens": 412 * sources.len() as u64,
            "num_search_queries": 1,
            "search_context_size": "low",
            "cost": {"input_tokens_cost": 0.0001, "output_tokens_cost": 0.0002, "request_cost": 0.005, "total_cost": 0.0053},
        },
    });
    if st.flags.perplexity_citations {
        out["citations"] = json!(sources.iter().map(|s| s.1.clone()).collect::<Vec<_>>());
    }
    if st.flags.perplexity_search_results {
        out["search_results"] = json!(sources
            .iter()
            .map(|(t, u, d)| json!({"title": t, "url": u, "date": d}))
            .collect::<Vec<_>>());
    }
    Reply::ok(out)
}

fn schema_of(body: &Value) -> Option<Value> {
    let rf = body.get("response_format")?;
    if rf.get("type").and_then(Value::as_str) != Some("json_schema") {
        return None;
    }
    rf.pointer("/json_schema/schema").cloned()
}

fn contact_object(ctx: &Ctx) -> Value {
    let c = ctx.contact.as_ref();
    json!({
        "name": ctx.name,
        "email": c.and_then(|c| c.email.clone()).or(ctx.prompt_email.clone()),
        "phone": c.and_then(|c| c.phone.clone()),
        "website": c.and_then(|c| c.website.clone()),
    })
}

fn contact_text(ctx: &Ctx, found: bool) -> String {
    let Some(c) = &ctx.contact else {
        return String::new();
    };
    if !found {
        return if ctx.lang == "de" {
            format!(
                "Für {} (@{}) wurden keine öffentlichen Kontaktdaten gefunden.",
                ctx.name, ctx.handle
            )
        } else {
            format!(
                "No public contact details were found for {} (@{}).",
                ctx.name, ctx.handle
            )
        };
    }
    let mut s = if ctx.lang == "de" {
        format!(
            "Kontaktdaten von {} (@{}): E-Mail {}",
            ctx.name,
            ctx.handle,
            c.email.clone().unwrap_or_default()
        )
    } else {
        format!(
            "Contact details of {} (@{}): e-mail {}",
            ctx.name,
            ctx.handle,
            c.email.clone().unwrap_or_default()
        )
    };
    if let Some(p) = &c.phone {
        s.push_str(&format!(", Tel. {p}"));
    }
    if let Some(w) = &c.website {
        s.push_str(&format!(", {w}"));
    }
    s.push_str(" [1][2]");
    s
}

/// A strict schema: every object lists all its properties as required and sets `additionalProperties: false`.
fn strict_problem(s: &Value, path: &str, root: &Value, depth: usize) -> Option<String> {
    if depth > 16 {
        return None;
    }
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        return root
            .pointer(r.trim_start_matches('#'))
            .and_then(|t| strict_problem(t, path, root, depth + 1));
    }
    for k in ["anyOf", "oneOf"] {
        for sub in s.get(k).and_then(Value::as_array).into_iter().flatten() {
            if let Some(p) = strict_problem(sub, path, root, depth + 1) {
                return Some(p);
            }
        }
    }
    if let Some(props) = s.get("properties").and_then(Value::as_object) {
        if s.get("additionalProperties") != Some(&Value::Bool(false)) {
            return Some(format!("In context=({path}), 'additionalProperties' is required to be supplied and to be false."));
        }
        let req: Vec<&str> = s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        for k in props.keys() {
            if !req.contains(&k.as_str()) {
                return Some(format!("In context=({path}), 'required' is required to be supplied and to be an array including every key in properties. Missing '{k}'."));
            }
        }
        for (k, v) in props {
            if let Some(p) =
                strict_problem(v, &format!("{path}'properties', '{k}'"), root, depth + 1)
            {
                return Some(p);
            }
        }
    }
    if let Some(items) = s.get("items") {
        return strict_problem(items, &format!("{path}'items'"), root, depth + 1);
    }
    None
}

pub fn openai(st: &mut State, req: &Req) -> Reply {
    let body = match check_common(st, "openai", req) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if model.contains("does-not-exist") {
        return err(
            st,
            "openai",
            "chat_completions",
            Kind::NotFound(format!(
                "The model `{model}` does not exist or you do not have access to it."
            )),
        );
    }
    if let Some(js) = body.pointer("/response_format/json_schema") {
        let name = js.get("name").and_then(Value::as_str).unwrap_or("");
        if name.is_empty() {
            return err(
                st,
                "openai",
                "chat_completions",
                Kind::BadRequest(
                    "Missing required parameter: 'response_format.json_schema.name'.".into(),
                ),
            );
        }
        if name.len() > 64
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return err(
                st,
                "openai",
                "chat_completions",
                Kind::BadRequest(format!("Invalid 'response_format.json_schema.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'. ({name})")),
            );
        }
        if js.get("strict") == Some(&Value::Bool(true)) {
            if let Some(schema) = js.get("schema") {
                if let Some(p) = strict_problem(schema, "", schema, 0) {
                    return err(
                        st,
                        "openai",
                        "chat_completions",
                        Kind::BadRequest(format!(
                            "Invalid schema for response_format '{name}': {p}"
                        )),
                    );
                }
            }
        }
    }
    let seed = st.seed();
    let prompt = prompt_of(&body);
    let lead = extract_lead(&prompt);
    let ctx = ctx_for(&lead, &prompt, None);
    let content = match schema_of(&body) {
        Some(schema) => fill(&schema, &schema, "", &ctx, 0).to_string(),
        None if body
            .pointer("/response_format/type")
            .and_then(Value::as_str)
            == Some("json_object") =>
        {
            json!({
                "name": ctx.name, "subject": subject(&ctx), "body": email_body(&ctx),
            })
            .to_string()
        }
        None => email_body(&ctx),
    };
    let content = if st.flags.openai_think_prefix {
        think(content)
    } else {
        content
    };
    let (content_v, refusal) = if st.flags.openai_refusal {
        (
            Value::Null,
            json!("I'm sorry, but I can't assist with that request."),
        )
    } else {
        (json!(content), Value::Null)
    };
    let pt = tokens(&prompt)
        + 7 * body
            .get("messages")
            .and_then(Value::as_array)
            .map_or(1, Vec::len) as u64;
    let ct = if st.flags.openai_refusal {
        11
    } else {
        tokens(&content)
    };
    let mut r = Rng::new(seed, &format!("oai:{prompt}"));
    let id = r.alnum(29);
    let request_id = r.alnum(24);
    Reply::ok(json!({
        "id": format!("chatcmpl-{id}"),
        "object": "chat.completion",
        "created": chrono::Utc::now().timestamp(),
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content_v, "refusal": refusal, "annotations": []},
            "logprobs": null,
            "finish_reason": "stop",
        }],
        "usage": {
            "prompt_tokens": pt,
            "completion_tokens": ct,
            "total_tokens": pt + ct,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
        },
        "service_tier": "default",
        "system_fingerprint": "fp_sim00001",
    }))
    .header("x-request-id", format!("req_{request_id}"))
    .header("x-ratelimit-limit-requests", "500")
    .header("x-ratelimit-limit-tokens", "200000")
    .header("x-ratelimit-remaining-requests", "499")
    .header("x-ratelimit-remaining-tokens", (200_000u64.saturating_sub(pt + ct)).to_string())
    .header("x-ratelimit-reset-requests", "120ms")
    .header("x-ratelimit-reset-tokens", "6m0s")
}

fn subject(ctx: &Ctx) -> String {
    if ctx.lang == "de" {
        format!("Kooperationsanfrage für {}", ctx.name)
    } else {
        format!("Collaboration idea for {}", ctx.name)
    }
}

fn email_body(ctx: &Ctx) -> String {
    let body = email_text(ctx);
    match &ctx.instruction {
        Some(i) => format!("{body}\n\nP.S. {i}"),
        None => body,
    }
}

fn email_text(ctx: &Ctx) -> String {
    if ctx.lang == "de" {
        format!(
            "Hallo {},\n\nich bin auf dein Profil @{} gestoßen und finde deine Inhalte großartig. Hättest du Lust auf eine Zusammenarbeit?\n\nViele Grüße",
            ctx.first, ctx.handle
        )
    } else {
        format!(
            "Hi {},\n\nI came across your profile @{} and love your content. Would you be open to a collaboration?\n\nBest regards",
            ctx.first, ctx.handle
        )
    }
}

fn string_for(key: &str, s: &Value, ctx: &Ctx) -> Value {
    let k = key.to_ascii_lowercase();
    let has = |xs: &[&str]| xs.iter().any(|x| k.contains(x));
    let c = ctx.contact.as_ref();
    let format = s.get("format").and_then(Value::as_str).unwrap_or("");
    let v: String = if has(&["subject", "betreff"]) {
        subject(ctx)
    } else if has(&[
        "body",
        "text",
        "content",
        "message",
        "draft",
        "html",
        "nachricht",
    ]) {
        email_body(ctx)
    } else if format == "email" || has(&["email", "e_mail", "mail"]) {
        match c {
            Some(c) => match &c.email {
                Some(e) => e.clone(),
                None => return Value::Null,
            },
            None => ctx.prompt_email.clone().unwrap_or_default(),
        }
    } else if has(&["phone", "tel", "mobile"]) {
        match c.and_then(|c| c.phone.clone()) {
            Some(p) => p,
            None => return Value::Null,
        }
    } else if format == "uri" || has(&["website", "url", "link", "homepage", "source", "site"]) {
        c.and_then(|c| c.website.clone())
            .unwrap_or_else(|| format!("https://www.instagram.com/{}/", ctx.handle))
    } else if has(&["username", "handle", "instagram"]) {
        ctx.handle.clone()
    } else if has(&["first_name", "firstname", "vorname"]) {
        ctx.first.clone()
    } else if has(&["name"]) {
        ctx.name.clone()
    } else if has(&["language", "lang", "sprache"]) {
        ctx.lang.to_string()
    } else if has(&["greeting", "salutation", "anrede"]) {
        if ctx.lang == "de" {
            format!("Hallo {},", ctx.first)
        } else {
            format!("Hi {},", ctx.first)
        }
    } else if has(&[
        "reason",
        "summary",
        "explanation",
        "note",
        "rationale",
        "reasoning",
        "begründung",
    ]) {
        if ctx.lang == "de" {
            format!("{} passt gut zur Zielgruppe.", ctx.name)
        } else {
            format!("{} fits the target audience well.", ctx.name)
        }
    } else if format == "date-time" {
        "2026-12-01T10:00:00Z".into()
    } else if format == "date" {
        "2026-12-01".into()
    } else {
        ctx.name.clone()
    };
    let v = match s.get("maxLength").and_then(Value::as_u64) {
        Some(n) => v.chars().take(n as usize).collect(),
        None => v,
    };
    json!(v)
}

fn types_of(s: &Value) -> Vec<String> {
    match s.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

fn fill(s: &Value, root: &Value, key: &str, ctx: &Ctx, depth: usize) -> Value {
    if depth > 12 {
        return Value::Null;
    }
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        return match root.pointer(r.trim_start_matches('#')) {
            Some(t) => fill(t, root, key, ctx, depth + 1),
            None => Value::Null,
        };
    }
    if let Some(c) = s.get("const") {
        return c.clone();
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array) {
        let lk = key.to_ascii_lowercase();
        if lk.contains("lang") {
            if let Some(v) = e.iter().find(|v| v.as_str() == Some(ctx.lang)) {
                return v.clone();
            }
        }
        return e
            .iter()
            .find(|v| !v.is_null())
            .cloned()
            .unwrap_or(Value::Null);
    }
    for k in ["anyOf", "oneOf"] {
        if let Some(opts) = s.get(k).and_then(Value::as_array) {
            let nullable = opts
                .iter()
                .any(|o| o.get("type").and_then(Value::as_str) == Some("null"));
            let non_null: Vec<&Value> = opts
                .iter()
                .filter(|o| o.get("type").and_then(Value::as_str) != Some("null"))
                .collect();
            let Some(first) = non_null.first() else {
                return Value::Null;
            };
            let v = fill(first, root, key, ctx, depth + 1);
            return if v.is_null() && !nullable {
                json!("")
            } else {
                v
            };
        }
    }
    let types = types_of(s);
    let nullable = types.iter().any(|t| t == "null");
    let t = types
        .iter()
        .find(|t| *t != "null")
        .cloned()
        .unwrap_or_else(|| {
            if s.get("properties").is_some() {
                "object".into()
            } else if s.get("items").is_some() {
                "array".into()
            } else {
                "string".into()
            }
        });
    let lk = key.to_ascii_lowercase();
    match t.as_str() {
        "object" => {
            let mut m = Map::new();
            if let Some(props) = s.get("properties").and_then(Value::as_object) {
                for (k, ps) in props {
                    m.insert(k.clone(), fill(ps, root, k, ctx, depth + 1));
                }
            }
            Value::Object(m)
        }
        "array" => {
            let items = s.get("items").cloned().unwrap_or(json!({"type": "string"}));
            let min = s.get("minItems").and_then(Value::as_u64).unwrap_or(1);
            let max = s.get("maxItems").and_then(Value::as_u64).unwrap_or(2);
            if let (Some(c), true) = (
                &ctx.contact,
                lk.contains("source") || lk.contains("citation") || lk.contains("url"),
            ) {
                if items.get("type").and_then(Value::as_str) == Some("string") {
                    return json!(c
                        .sources
                        .iter()
                        .map(|s| s.1.clone())
                        .take(max.max(1) as usize)
                        .collect::<Vec<_>>());
                }
            }
            let n = min.max(1).min(max.max(min));
            Value::Array(
                (0..n)
                    .map(|_| fill(&items, root, key, ctx, depth + 1))
                    .collect(),
            )
        }
        "integer" | "number" => {
            let lo = s.get("minimum").and_then(Value::as_f64);
            let hi = s.get("maximum").and_then(Value::as_f64);
            let mut r = Rng::new(0, &format!("{key}:{}", ctx.name));
            let base = if lk.contains("score") || lk.contains("confidence") || lk.contains("probab")
            {
                if t == "integer" {
                    60.0 + r.below(35) as f64
                } else {
                    0.6 + r.below(35) as f64 / 100.0
                }
            } else if lk.contains("follower") {
                1000.0
            } else {
                1.0 + r.below(5) as f64
            };
            let v = match (lo, hi) {
                (Some(l), Some(h)) if base < l || base > h => (l + h) / 2.0,
                (Some(l), _) if base < l => l,
                (_, Some(h)) if base > h => h,
                _ => base,
            };
            if t == "integer" {
                json!(v.round() as i64)
            } else {
                json!(v)
            }
        }
        "boolean" => {
            if let Some(c) = &ctx.contact {
                if lk.contains("found") || lk.starts_with("has_") {
                    return json!(c.found);
                }
            }
            json!(true)
        }
        "null" => Value::Null,
        _ => {
            let v = string_for(key, s, ctx);
            if v.is_null() && !nullable {
                json!("")
            } else {
                v
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_lead_in_a_prompt() {
        let l = extract_lead(
            "Lead:\nusername: anna.fitness\nfull_name: Anna Müller\nbio: hi [at] x.de",
        );
        assert_eq!(l.name.as_deref(), Some("Anna Müller"));
        assert_eq!(l.handle.as_deref(), Some("anna.fitness"));
        let l = extract_lead("Vorname: Jürgen\nWrite to @max_yoga about info@max.de");
        assert_eq!(l.name.as_deref(), Some("Jürgen"));
        assert_eq!(l.handle.as_deref(), Some("max_yoga"));
        assert_eq!(l.email.as_deref(), Some("info@max.de"));
    }

    #[test]
    fn a_regeneration_instruction_ends_the_email() {
        let prompt = "username: anna.fitness\nInstruction: mention the spring discount\n";
        let ctx = ctx_for(&extract_lead(prompt), prompt, None);
        assert!(email_body(&ctx).ends_with("P.S. mention the spring discount"));
        let ctx = ctx_for(&extract_lead("username: anna"), "username: anna", None);
        assert!(!email_body(&ctx).contains("P.S."));
    }
}
