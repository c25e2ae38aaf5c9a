//! Deterministic, realistic data: every value is a pure function of the seed and a key (a username, a hashtag, …).

use serde_json::{json, Value};

/// splitmix64: small, fast and stable across versions (the data must not change when a crate is upgraded).
pub struct Rng(u64);

fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl Rng {
    pub fn new(seed: u64, key: &str) -> Self {
        let mut r = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ fnv1a(key));
        r.next_u64();
        r
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// 0 ≤ x < n (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    pub fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }

    pub fn alnum(&mut self, n: usize) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..n)
            .map(|_| char::from(A[self.below(A.len() as u64) as usize]))
            .collect()
    }
}

const FIRST_DE: &[&str] = &[
    "anna", "lena", "lisa", "marie", "sophie", "laura", "julia", "lea", "hannah", "mia", "lukas",
    "jonas", "leon", "felix", "max", "paul", "tim", "jan", "niklas", "moritz", "katrin", "sabine",
    "stefan", "thomas", "juergen", "franzi",
];
const FIRST_EN: &[&str] = &[
    "emma", "olivia", "ava", "chloe", "grace", "james", "oliver", "jack", "harry", "noah", "liam",
    "ella", "zoe", "ben", "sam",
];
const LAST_DE: &[&str] = &[
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Weiß",
];
const LAST_EN: &[&str] = &[
    "Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Thomas", "Roberts",
    "Walker", "Wright", "Green",
];
/// (slug, German, English)
const TOPICS: &[(&str, &str, &str)] = &[
    ("fitness", "Fitness", "fitness"),
    ("yoga", "Yoga", "yoga"),
    ("coaching", "Coaching", "coaching"),
    ("food", "Foodblog", "food"),
    ("travel", "Reisen", "travel"),
    ("beauty", "Beauty & Kosmetik", "beauty"),
    ("interior", "Interior Design", "interior design"),
    ("photo", "Fotografie", "photography"),
    ("vegan", "veganes Kochen", "vegan cooking"),
    ("mindset", "Mindset", "mindset"),
    ("bakery", "Backen", "baking"),
    ("coffee", "Kaffee", "coffee"),
    ("fashion", "Mode", "fashion"),
    ("garden", "Garten", "gardening"),
    ("dogs", "Hundetraining", "dog training"),
];
const CITIES_DE: &[&str] = &[
    "Berlin",
    "Hamburg",
    "München",
    "Köln",
    "Frankfurt",
    "Stuttgart",
    "Leipzig",
    "Düsseldorf",
    "Dresden",
    "Hannover",
    "Nürnberg",
    "Bremen",
    "Wien",
    "Zürich",
];
const CITIES_EN: &[&str] = &[
    "London",
    "Manchester",
    "Dublin",
    "New York",
    "Austin",
    "Toronto",
    "Sydney",
    "Bristol",
];
/// A business category that fits the account's topic (sometimes a generic one).
fn category_of(topic: &str, r: &mut Rng) -> &'static str {
    if r.chance(0.25) {
        return r.pick(&["Blogger", "Digital Creator", "Local Business"]);
    }
    match topic {
        "fitness" => "Personal Trainer",
        "yoga" => "Yoga Studio",
        "coaching" | "mindset" => "Coach",
        "food" | "vegan" => "Restaurant",
        "travel" => "Travel Company",
        "beauty" => "Health/Beauty",
        "interior" => "Interior Design Studio",
        "photo" => "Photographer",
        "bakery" => "Bakery",
        "coffee" => "Coffee Shop",
        "fashion" => "Clothing (Brand)",
        "garden" => "Gardener",
        _ => "Pet Service",
    }
}

/// Base time of all generated posts: 2026-12-01T10:00:00Z.
pub const BASE_TS: i64 = 1_796_119_200;

fn slug(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

fn cap(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn translit(s: &str) -> String {
    s.to_lowercase()
        .replace('ü', "ue")
        .replace('ö', "oe")
        .replace('ä', "ae")
        .replace('ß', "ss")
}

/// The seed's pool of account usernames; hashtag posts draw their owners from it, so owners overlap between tags.
pub fn username_pool(seed: u64) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(120);
    for i in 0..120u64 {
        let mut r = Rng::new(seed, &format!("pool:{i}"));
        let de = r.chance(0.6);
        let first = if de {
            r.pick(FIRST_DE)
        } else {
            r.pick(FIRST_EN)
        };
        let topic = r.pick(TOPICS).0;
        let city = translit(if de {
            r.pick(CITIES_DE)
        } else {
            r.pick(CITIES_EN)
        });
        let last = translit(if de { r.pick(LAST_DE) } else { r.pick(LAST_EN) });
        let mut u = match r.below(6) {
            0 => format!("{first}.{topic}"),
            1 if de => format!("{topic}_mit_{first}"),
            1 => format!("{topic}_with_{first}"),
            2 => format!("{first}_{topic}_{}", slug(&city)),
            3 => format!("{first}{topic}{}", r.digits(2)),
            4 => format!("the.{topic}.{first}"),
            _ => format!("{first}.{last}"),
        };
        if out.contains(&u) {
            u = format!("{u}{i}");
        }
        out.push(u);
    }
    out
}

#[derive(Clone, Debug)]
pub struct Profile {
    pub id: String,
    pub username: String,
    pub full_name: String,
    pub biography: String,
    pub external_url: Option<String>,
    pub followers: u64,
    pub follows: u64,
    pub posts: u64,
    pub is_business: bool,
    pub category: Option<String>,
    pub private: bool,
    pub verified: bool,
    /// The contact the account shows in its business profile (when it has one).
    pub business_email: Option<String>,
    pub business_phone: Option<String>,
    /// The address a reader can make out from the bio (plain or written as "x [at] y.de").
    pub bio_email: Option<String>,
    pub bio_phone: Option<String>,
    pub lang: &'static str,
    pub city: String,
    pub topic: (&'static str, &'static str, &'static str),
    pub domain: String,
}

/// The numeric Instagram id (pk) of a username.
pub fn user_pk(seed: u64, username: &str) -> u64 {
    let mut r = Rng::new(seed, &format!("pk:{username}"));
    1_000_000_000 + r.below(69_000_000_000)
}

pub fn profile(seed: u64, username: &str) -> Profile {
    let mut r = Rng::new(seed, &format!("profile:{username}"));
    let topic = TOPICS
        .iter()
        .find(|t| username.contains(t.0))
        .copied()
        .unwrap_or_else(|| r.pick(TOPICS));
    let de = if username.contains("_mit_") || FIRST_DE.iter().any(|f| username.contains(f)) {
        true
    } else if username.contains("_with_") || FIRST_EN.iter().any(|f| username.contains(f)) {
        false
    } else {
        r.chance(0.6)
    };
    let lang = if de { "de" } else { "en" };
    let first = FIRST_DE
        .iter()
        .chain(FIRST_EN)
        .copied()
        .find(|f| username.contains(f))
        .unwrap_or_else(|| {
            if de {
                r.pick(FIRST_DE)
            } else {
                r.pick(FIRST_EN)
            }
        });
    let first_name = cap(&first.replace("juergen", "jürgen"));
    let last = if de { r.pick(LAST_DE) } else { r.pick(LAST_EN) };
    let picked = if de {
        r.pick(CITIES_DE).to_string()
    } else {
        r.pick(CITIES_EN).to_string()
    };
    let city = CITIES_DE
        .iter()
        .chain(CITIES_EN)
        .find(|c| username.contains(&slug(&translit(c))))
        .map_or(picked, |c| c.to_string());
    let is_business = r.chance(0.6);
    let private = !is_business && r.chance(0.3);
    // Follower counts across orders of magnitude: 10 .. ~2 million, log-uniform.
    let followers = 10f64.powf(1.0 + 5.3 * r.unit()).round() as u64;
    let follows = 50 + r.below(1500);
    let posts = r.below(900) + 3;
    let verified = followers > 200_000 && r.chance(0.5);
    let full_name = if is_business && r.chance(0.3) {
        format!(
            "{} {} {}",
            cap(topic.0),
            if de { "Atelier" } else { "Studio" },
            city
        )
    } else {
        format!("{first_name} {last}")
    };
    let tld = if de { "de" } else { "com" };
    let domain = format!("{}.{tld}", slug(username));
    let local = r.pick(if de {
        &["info", "kontakt", "hallo", "anfragen", "mail"][..]
    } else {
        &["hello", "info", "contact", "booking", "hi"][..]
    });
    let email = format!("{local}@{domain}");
    let intro = if de {
        match r.below(5) {
            0 => format!("{} aus {city} 🌿", topic.1),
            1 => format!("{}-Liebe & Alltag in {city}", topic.1),
            2 => format!("Dein Coach für {} | {city}", topic.1),
            3 => format!("Hier dreht sich alles um {} ✨", topic.1),
            _ => format!("{} • {city} • Mama von zwei", topic.1),
        }
    } else {
        match r.below(5) {
            0 => format!("{} from {city} 🌿", cap(topic.2)),
            1 => format!("Helping you with {} | {city}", topic.2),
            2 => format!("{} lover • {city}", cap(topic.2)),
            3 => format!("Daily {} tips ✨", topic.2),
            _ => format!("{} • {city} • coffee first", cap(topic.2)),
        }
    };
    let mut parts = vec![intro];
    let mut bio_email = None;
    let mut bio_phone = None;
    let mut external_url = None;
    let e = r.unit();
    if e < 0.3 {
        parts.push(if de {
            format!("📩 Anfragen: {email}")
        } else {
            format!("📩 Business: {email}")
        });
        bio_email = Some(email.clone());
    } else if e < 0.45 {
        let (name, tld_) = domain.rsplit_once('.').unwrap_or((domain.as_str(), tld));
        parts.push(match r.below(3) {
            0 => format!("✉️ {local} [at] {domain}"),
            1 => format!("✉️ {local}(at){domain}"),
            _ => format!("✉️ {local} at {name} dot {tld_}"),
        });
        bio_email = Some(email.clone());
    }
    if r.chance(0.2) {
        let phone = if de {
            format!("+49 15{} {}", r.below(10), r.digits(7))
        } else if r.chance(0.5) {
            format!("+44 7{} {}", r.digits(3), r.digits(6))
        } else {
            format!("+1 (555) 01{}-{}", r.digits(1), r.digits(4))
        };
        parts.push(format!("📞 {phone}"));
        bio_phone = Some(phone);
    }
    if r.chance(0.35) {
        let link = if r.chance(0.5) {
            format!("linktr.ee/{}", slug(username))
        } else {
            format!("www.{domain}")
        };
        parts.push(format!("🔗 {link}"));
        external_url = Some(format!("https://{link}"));
    } else if is_business && r.chance(0.5) {
        external_url = Some(format!("https://www.{domain}/"));
    }
    let sep = if r.chance(0.5) { "\n" } else { " | " };
    let biography = parts.join(sep);
    let (business_email, business_phone) = if is_business && r.chance(0.5) {
        (
            Some(email.clone()),
            if r.chance(0.4) {
                Some(format!("+49{}", r.digits(10)))
            } else {
                None
            },
        )
    } else {
        (None, None)
    };
    Profile {
        id: user_pk(seed, username).to_string(),
        username: username.to_string(),
        full_name,
        biography,
        external_url,
        followers,
        follows,
        posts,
        is_business,
        category: if is_business {
            Some(category_of(topic.0, &mut r).to_string())
        } else {
            None
        },
        private,
        verified,
        business_email,
        business_phone,
        bio_email,
        bio_phone,
        lang,
        city,
        topic,
        domain,
    }
}

/// The Apify profile-scraper item for a profile.
pub fn profile_item(seed: u64, p: &Profile, contact_fields: bool) -> Value {
    let mut latest = Vec::new();
    for i in 0..3u64 {
        let post = post_for_owner(seed, p, i);
        latest.push(post);
    }
    let mut item = json!({
        "id": p.id,
        "username": p.username,
        "url": format!("https://www.instagram.com/{}", p.username),
        "fullName": p.full_name,
        "biography": p.biography,
        "externalUrl": p.external_url,
        "externalUrls": p.external_url.iter().map(|u| json!({"title": "", "url": u, "link_type": "external"})).collect::<Vec<_>>(),
        "followersCount": p.followers,
        "followsCount": p.follows,
        "postsCount": p.posts,
        "highlightReelCount": p.posts % 12,
        "isBusinessAccount": p.is_business,
        "businessCategoryName": p.category,
        "private": p.private,
        "verified": p.verified,
        "profilePicUrl": format!("https://scontent.cdninstagram.com/v/t51.2885-19/{}_s150x150.jpg", p.id),
        "profilePicUrlHD": format!("https://scontent.cdninstagram.com/v/t51.2885-19/{}_s320x320.jpg", p.id),
        "joinedRecently": p.posts < 10,
        "facebookPage": Value::Null,
        "latestPosts": latest,
    });
    if contact_fields {
        item["businessEmail"] = json!(p.business_email);
        item["publicEmail"] = json!(p.business_email);
        item["businessPhoneNumber"] = json!(p.business_phone);
    }
    item
}

/// How many posts a hashtag has in the sandbox (tags containing `empty` have none).
pub fn hashtag_size(seed: u64, tag: &str) -> u64 {
    if tag.contains("empty") {
        return 0;
    }
    let mut r = Rng::new(seed, &format!("tagsize:{tag}"));
    40 + r.below(160)
}

/// The i-th newest post under a hashtag (Apify hashtag-scraper item shape).
pub fn hashtag_post(seed: u64, pool: &[String], tag: &str, i: u64) -> Value {
    let mut r = Rng::new(seed, &format!("post:{tag}:{i}"));
    // Owners come mostly from the first half of the pool, so the same accounts post under several tags.
    let idx = if r.chance(0.7) {
        r.below(60)
    } else {
        r.below(pool.len() as u64)
    } as usize;
    let owner = profile(seed, &pool[idx % pool.len().max(1)]);
    let ts = BASE_TS - (i as i64) * 3 * 3600 - r.below(3 * 3600) as i64;
    post_value(&mut r, &owner, Some(tag), ts)
}

/// The i-th newest post under a hashtag by an account of its own (flag `apify_hashtag_unique_owners`).
pub fn hashtag_post_unique(seed: u64, tag: &str, i: u64) -> Value {
    let mut r = Rng::new(seed, &format!("post:{tag}:{i}"));
    let short: String = tag.chars().take(12).collect();
    let owner = profile(seed, &format!("{short}.creator{i}"));
    let ts = BASE_TS - (i as i64) * 3 * 3600 - r.below(3 * 3600) as i64;
    post_value(&mut r, &owner, Some(tag), ts)
}

fn post_for_owner(seed: u64, p: &Profile, i: u64) -> Value {
    let mut r = Rng::new(seed, &format!("ownpost:{}:{i}", p.username));
    let ts = BASE_TS - (i as i64) * 2 * 86_400 - r.below(86_400) as i64;
    post_value(&mut r, p, None, ts)
}

fn post_value(r: &mut Rng, owner: &Profile, tag: Option<&str>, ts: i64) -> Value {
    let id = format!("3{}", r.digits(18));
    const SC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    let short: String = (0..11)
        .map(|_| char::from(SC[r.below(SC.len() as u64) as usize]))
        .collect();
    let kind = match r.below(10) {
        0..=5 => "Image",
        6..=7 => "Video",
        _ => "Sidecar",
    };
    let mut tags: Vec<String> = Vec::new();
    if let Some(t) = tag {
        tags.push(t.to_string());
    }
    tags.push(owner.topic.0.to_string());
    tags.push(slug(&translit(&owner.city)));
    tags.dedup();
    let text = if owner.lang == "de" {
        match r.below(3) {
            0 => format!("Neuer Beitrag rund um {} 💛 Was meint ihr?", owner.topic.1),
            1 => format!("Sonntag in {} – so sieht mein Alltag aus", owner.city),
            _ => "Kleiner Tipp für euch: dranbleiben lohnt sich! ✨".to_string(),
        }
    } else {
        match r.below(3) {
            0 => format!("New post all about {} 💛 What do you think?", owner.topic.2),
            1 => format!("Sunday in {} – a day in my life", owner.city),
            _ => "Quick tip: consistency wins! ✨".to_string(),
        }
    };
    let caption = format!(
        "{text}\n\n{}",
        tags.iter()
            .map(|t| format!("#{t}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let likes = 10f64.powf(0.5 + 4.0 * r.unit()).round() as u64;
    let timestamp = chrono::DateTime::from_timestamp(ts, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%S.000Z").to_string());
    json!({
        "id": id,
        "type": kind,
        "shortCode": short,
        "url": format!("https://www.instagram.com/p/{short}/"),
        "caption": caption,
        "hashtags": tags,
        "mentions": [],
        "likesCount": likes,
        "commentsCount": likes / 20 + r.below(5),
        "timestamp": timestamp,
        "ownerUsername": owner.username,
        "ownerId": owner.id,
        "ownerFullName": owner.full_name,
        "displayUrl": format!("https://scontent.cdninstagram.com/v/t51.29350-15/{id}_n.jpg"),
        "images": [],
        "videoUrl": if kind == "Video" { json!(format!("https://scontent.cdninstagram.com/o1/v/t16/{id}.mp4")) } else { Value::Null },
        "videoViewCount": if kind == "Video" { json!(likes * 12) } else { Value::Null },
        "locationName": if r.chance(0.4) { json!(owner.city) } else { Value::Null },
        "productType": if kind == "Video" { "clips" } else { "feed" },
    })
}

/// What a web search finds about an account: the contacts (or nothing) and the pages it read.
pub struct Contact {
    pub found: bool,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub sources: Vec<(String, String, String)>,
}

pub fn contact_search(seed: u64, handle: &str) -> Contact {
    let p = profile(seed, handle);
    let mut r = Rng::new(seed, &format!("contact:{handle}"));
    let found = p.business_email.is_some() || p.bio_email.is_some() || r.chance(0.4);
    if !found {
        return Contact {
            found,
            email: None,
            phone: None,
            website: None,
            sources: vec![(
                format!("@{handle} • Instagram"),
                format!("https://www.instagram.com/{handle}/"),
                "2026-11-20".to_string(),
            )],
        };
    }
    let email = p
        .business_email
        .clone()
        .or(p.bio_email.clone())
        .unwrap_or_else(|| format!("kontakt@{}", p.domain));
    let website = format!("https://www.{}/", p.domain);
    Contact {
        found,
        email: Some(email),
        phone: p.business_phone.clone().or(p.bio_phone.clone()),
        website: Some(website.clone()),
        sources: vec![
            (
                if p.lang == "de" {
                    format!("Impressum – {}", p.full_name)
                } else {
                    format!("Contact – {}", p.full_name)
                },
                format!(
                    "{website}{}",
                    if p.lang == "de" {
                        "impressum"
                    } else {
                        "contact"
                    }
                ),
                "2026-10-02".to_string(),
            ),
            (
                format!("@{handle} • Instagram"),
                format!("https://www.instagram.com/{handle}/"),
                "2026-11-20".to_string(),
            ),
        ],
    }
}
