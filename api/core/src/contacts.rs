//! Contact data in free text: the e-mail addresses, phone numbers and websites a reader can make out of an Instagram
//! bio (or a page's text), in German or English, including the ways people hide an address from scrapers
//! ("name [at] domain.de", "name (ät) domain punkt de", "name at domain dot com").
//!
//! One pure function, [`extract`], used by the pipeline's enrichment stage. It prefers missing an address to inventing
//! one: a word form ("at", "dot", "punkt") only counts when the result is a whole address with a known-looking top-level
//! domain, and a phone number needs a leading `+`/`00` or a national `0` and 7 to 15 digits.

use regex::Regex;
use std::sync::LazyLock;

/// What [`extract`] found, each list in the order of first appearance and without repeats.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Contacts {
    /// Lower-case addresses, e.g. `info@atelier-koeln.de`.
    pub emails: Vec<String>,
    /// As written, with runs of spaces collapsed, e.g. `+49 151 2345678`; repeats are told apart by their digits.
    pub phones: Vec<String>,
    /// Absolute URLs (`https://` added where the text left it out), e.g. `https://linktr.ee/anna`.
    pub websites: Vec<String>,
}

impl Contacts {
    pub fn is_empty(&self) -> bool {
        self.emails.is_empty() && self.phones.is_empty() && self.websites.is_empty()
    }
}

// Top-level domains a word-form address may end in (the plain `a@b.tld` form accepts any 2–24 letters).
const WORD_FORM_TLDS: &str = "de|com|at|ch|net|org|eu|io|co|uk|info|biz|me|shop|store|studio|online|email|berlin|koeln|hamburg|bayern|nrw|fr|it|nl|es|us|ca|au";

static BRACKET_AT: LazyLock<Regex> = LazyLock::new(|| {
    // "[at]", "(at)", "{at}", "<at>", "(ät)", "[ at ]", "(a)", "[@]" — with or without spaces around.
    re(r"(?i)\s*[\[\(\{<]\s*(?:at|ät|a|@)\s*[\]\)\}>]\s*")
});
static BRACKET_DOT: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\s*[\[\(\{<]\s*(?:dot|punkt|\.)\s*[\]\)\}>]\s*"));
static WORD_FORM: LazyLock<Regex> = LazyLock::new(|| {
    // "name at domain dot de", "name ät domain punkt de", "name at domain.de", "name AT sub domain DOT co DOT uk".
    re(&format!(
        r"(?i)\b([a-z0-9][a-z0-9._%+-]*)\s+(?:at|ät)\s+([a-z0-9][a-z0-9-]*(?:(?:\s*\.\s*|\s+(?:dot|punkt)\s+)[a-z0-9][a-z0-9-]*)*)(?:\s*\.\s*|\s+(?:dot|punkt)\s+)({WORD_FORM_TLDS})\b"
    ))
});
static WORD_DOT: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\s*\.\s*|\s+(?:dot|punkt)\s+"));
static SPACED_AT: LazyLock<Regex> = LazyLock::new(|| {
    // "name @ domain.de" (spaces around a real @, but never "@handle" alone).
    re(r"([A-Za-z0-9._%+-])\s+@\s+([A-Za-z0-9-])")
});
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)[a-z0-9][a-z0-9._%+-]*@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,24}\b",
    )
});
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    // International (+49 …, 0049 …) or national (0171 …, (030) …), digits grouped by spaces, dots, slashes, dashes or
    // parentheses.
    re(r"(?:\+|\b00|\(0|\b0)\d[\d \t./()\-]{5,22}\d")
});
static URL: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\bhttps?://[^\s<>()\[\]{}|,;]+|\bwww\.[^\s<>()\[\]{}|,;]+"));
static BARE_DOMAIN: LazyLock<Regex> = LazyLock::new(|| {
    // "linktr.ee/anna", "atelier-koeln.de", "shop.example.com/sale" — no scheme, no www.
    re(
        r"(?i)\b[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.(?:de|com|at|ch|net|org|eu|io|co|shop|store|studio|online|info|me|ee|bio|link|page|ai|cc|app|berlin|koeln|hamburg)\b(?:/[^\s<>()\[\]{}|,;]*)?",
    )
});

/// Compiles one of this file's constant patterns. Each is compiled by every test below, so an invalid one cannot
/// pass the suite; panicking on it here is a programming error, not input.
#[allow(clippy::expect_used)]
fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a constant pattern of contacts.rs")
}

/// Hosts that are not the lead's own website.
const NOT_A_WEBSITE: [&str; 4] = ["instagram.com", "instagr.am", "www.instagram.com", "ig.me"];

/// The e-mail addresses, phone numbers and websites in `text`.
pub fn extract(text: &str) -> Contacts {
    let mut out = Contacts::default();
    let text = text.replace(['＠', '﹫'], "@");

    // E-mails: undo the usual obfuscations, then read plain addresses.
    let unhidden = BRACKET_AT.replace_all(&text, "@");
    let unhidden = BRACKET_DOT.replace_all(&unhidden, ".");
    let unhidden = SPACED_AT.replace_all(&unhidden, "$1@$2");
    let unhidden = WORD_FORM.replace_all(&unhidden, |c: &regex::Captures| {
        let domain = WORD_DOT.replace_all(&c[2], ".");
        format!("{}@{}.{}", &c[1], domain, &c[3])
    });
    let mut masked = unhidden.to_string();
    for m in EMAIL.find_iter(&unhidden) {
        let addr = m.as_str().trim_end_matches('.').to_lowercase();
        push_unique(&mut out.emails, addr, |a, b| a == b);
        masked.replace_range(m.range(), &" ".repeat(m.len()));
    }

    // Websites, from the text with its addresses blanked out (so `info@atelier.de` is not also a website).
    let mut without_urls = masked.clone();
    for m in URL.find_iter(&masked) {
        if let Some(url) = website(m.as_str()) {
            push_unique(&mut out.websites, url, same_site);
        }
        without_urls.replace_range(m.range(), &" ".repeat(m.len()));
    }
    let scanned = without_urls.clone();
    for m in BARE_DOMAIN.find_iter(&scanned) {
        // "z.B." or "u.a." are not domains; a bare domain needs letters before its dot.
        let s = m.as_str();
        if s.split('.').next().is_some_and(|first| first.len() < 2) {
            continue;
        }
        if let Some(url) = website(s) {
            push_unique(&mut out.websites, url, same_site);
        }
        without_urls.replace_range(m.range(), &" ".repeat(m.len()));
    }

    // Phones, from what is left (digits inside URLs and addresses are not phone numbers).
    for m in PHONE.find_iter(&without_urls) {
        let raw = m.as_str().trim_end_matches(['.', '-', '/', ' ']);
        let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        if !(7..=15).contains(&digits.len()) || looks_like_a_date(raw) {
            continue;
        }
        let shown = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        push_unique(&mut out.phones, shown, |a, b| {
            phone_digits(a) == phone_digits(b)
        });
    }
    out
}

fn push_unique(list: &mut Vec<String>, item: String, same: impl Fn(&str, &str) -> bool) {
    if !list.iter().any(|x| same(x, &item)) {
        list.push(item);
    }
}

/// `+49 (0)151 234` and `0049 151 234` name the same number: compare from the first significant digit.
fn phone_digits(s: &str) -> String {
    let s = s.replace("(0)", "");
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    digits.trim_start_matches('0').to_string()
}

/// "01.02.2024" or "2019 - 2023" are dates, not numbers to call.
fn looks_like_a_date(s: &str) -> bool {
    static DATE: LazyLock<Regex> = LazyLock::new(|| re(r"^\d{1,2}\.\d{1,2}\.(?:\d{2}|\d{4})$"));
    DATE.is_match(s.trim())
}

fn same_site(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.trim_end_matches('/')
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_start_matches("www.")
            .to_lowercase()
    };
    norm(a) == norm(b)
}

/// An absolute URL for a link found in text, or `None` for links that are not the lead's own site.
fn website(found: &str) -> Option<String> {
    let s = found.trim_end_matches(['.', ',', '!', '?', ':', ';', '"', '\'', '…']);
    let with_scheme = if s.to_ascii_lowercase().starts_with("http") {
        s.to_string()
    } else {
        format!("https://{s}")
    };
    let parsed = url::Url::parse(&with_scheme).ok()?;
    let host = parsed.host_str()?.to_ascii_lowercase();
    if NOT_A_WEBSITE.contains(&host.as_str()) || !host.contains('.') {
        return None;
    }
    Some(with_scheme)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emails(bio: &str) -> Vec<String> {
        extract(bio).emails
    }
    fn phones(bio: &str) -> Vec<String> {
        extract(bio).phones
    }
    fn sites(bio: &str) -> Vec<String> {
        extract(bio).websites
    }

    // --- e-mail addresses: plain ---------------------------------------------------------------------------
    #[test]
    fn a_plain_address_after_a_german_label() {
        assert_eq!(
            emails("Keramik aus Köln 🌿\n📩 Anfragen: Kontakt@Atelier-Koeln.de"),
            ["kontakt@atelier-koeln.de"]
        );
    }
    #[test]
    fn a_plain_address_after_an_english_label() {
        assert_eq!(
            emails("Yoga teacher • London | Business: hello@flowwithamy.co.uk"),
            ["hello@flowwithamy.co.uk"]
        );
    }
    #[test]
    fn an_address_at_the_end_of_a_sentence_loses_the_full_stop() {
        assert_eq!(
            emails("Kooperationen gerne per Mail an info@lisas-kitchen.de."),
            ["info@lisas-kitchen.de"]
        );
    }
    #[test]
    fn plus_and_dots_in_the_local_part_are_kept() {
        assert_eq!(
            emails("collabs → anna.m+brands@gmail.com"),
            ["anna.m+brands@gmail.com"]
        );
    }
    #[test]
    fn two_addresses_both_found_in_order_and_repeats_dropped() {
        assert_eq!(
            emails("Booking: booking@djmaxx.com | Press: press@djmaxx.com | booking@djmaxx.com"),
            ["booking@djmaxx.com", "press@djmaxx.com"]
        );
    }
    #[test]
    fn an_instagram_handle_is_not_an_address() {
        assert!(emails("Fotos von @anna.fotografie • Berlin").is_empty());
    }
    #[test]
    fn a_fullwidth_at_sign_is_an_at_sign() {
        assert_eq!(
            emails("Mail：studio＠nordlicht.de"),
            ["studio@nordlicht.de"]
        );
    }

    // --- e-mail addresses: hidden -------------------------------------------------------------------------
    #[test]
    fn brackets_around_at() {
        assert_eq!(
            emails("✉️ kontakt [at] hofladen-sommer.de"),
            ["kontakt@hofladen-sommer.de"]
        );
    }
    #[test]
    fn parentheses_around_at_without_spaces() {
        assert_eq!(
            emails("✉️ info(at)baeckerei-weber.de"),
            ["info@baeckerei-weber.de"]
        );
    }
    #[test]
    fn german_umlaut_at_and_punkt_in_brackets() {
        assert_eq!(
            emails("Schreib mir: hallo (ät) mia-malt (punkt) de"),
            ["hallo@mia-malt.de"]
        );
    }
    #[test]
    fn word_forms_at_and_dot() {
        assert_eq!(
            emails("✉️ hello at lunabakes dot com"),
            ["hello@lunabakes.com"]
        );
    }
    #[test]
    fn word_forms_at_and_punkt() {
        assert_eq!(
            emails("Anfragen bitte an anfragen at fitmitjonas punkt de 💪"),
            ["anfragen@fitmitjonas.de"]
        );
    }
    #[test]
    fn upper_case_word_forms_and_a_two_part_suffix() {
        assert_eq!(
            emails("contact: studio AT lightroom DOT co DOT uk"),
            ["studio@lightroom.co.uk"]
        );
    }
    #[test]
    fn word_form_at_with_a_real_dot_in_the_domain() {
        assert_eq!(
            emails("Mail: info at gruenewiese.de"),
            ["info@gruenewiese.de"]
        );
    }
    #[test]
    fn square_brackets_around_dot_and_at() {
        assert_eq!(
            emails("office[at]kanzlei-berg[dot]de"),
            ["office@kanzlei-berg.de"]
        );
    }
    #[test]
    fn spaces_around_a_real_at_sign() {
        assert_eq!(
            emails("E-Mail: team @ vegan-hamburg.de"),
            ["team@vegan-hamburg.de"]
        );
    }
    #[test]
    fn the_german_a_in_parentheses() {
        assert_eq!(
            emails("Buchungen: termine(a)friseur-luisa.de"),
            ["termine@friseur-luisa.de"]
        );
    }

    // --- e-mail addresses: things that are not addresses ---------------------------------------------------
    #[test]
    fn everyday_at_is_not_an_address() {
        assert!(emails("Coffee at home dot lover ☕ | Living at the lake").is_empty());
        assert!(emails("Wir sind at the moment auf Tour").is_empty());
    }
    #[test]
    fn an_address_without_a_top_level_domain_is_not_taken() {
        assert!(emails("dm me or mail me@localhost").is_empty());
    }

    // --- phone numbers -------------------------------------------------------------------------------------
    #[test]
    fn a_german_mobile_number_in_international_form() {
        assert_eq!(phones("Termine 📞 +49 151 2345678"), ["+49 151 2345678"]);
    }
    #[test]
    fn a_german_landline_with_area_code_in_parentheses() {
        assert_eq!(
            phones("Tel. (030) 123 456 78 | Mo–Fr 9–18 Uhr"),
            ["(030) 123 456 78"]
        );
    }
    #[test]
    fn a_national_number_with_a_slash() {
        assert_eq!(phones("WhatsApp: 0171/2345678"), ["0171/2345678"]);
    }
    #[test]
    fn a_uk_mobile_number() {
        assert_eq!(
            phones("Bookings 📞 +44 7911 123456 (text only)"),
            ["+44 7911 123456"]
        );
    }
    #[test]
    fn a_us_number_with_dashes_and_parentheses() {
        assert_eq!(
            phones("Call +1 (555) 010-4477 for orders"),
            ["+1 (555) 010-4477"]
        );
    }
    #[test]
    fn a_0049_number_and_the_same_in_plus_form_count_once() {
        assert_eq!(
            phones("Tel 0049 89 1234567 • +49 89 1234567"),
            ["0049 89 1234567"]
        );
    }
    #[test]
    fn years_prices_postcodes_and_counts_are_not_phone_numbers() {
        assert!(phones("Since 2009 • 10115 Berlin • 12.5k followers • Kurse ab 49 €").is_empty());
        assert!(phones("Seit 01.02.2019 geöffnet").is_empty());
    }
    #[test]
    fn digits_in_a_link_are_not_a_phone_number() {
        assert!(phones("🔗 https://shop.example.de/p/01712345678").is_empty());
    }

    // --- websites ------------------------------------------------------------------------------------------
    #[test]
    fn a_link_in_bio_host_without_a_scheme() {
        assert_eq!(
            sites("Alle Links 👇 linktr.ee/lisa_backt"),
            ["https://linktr.ee/lisa_backt"]
        );
    }
    #[test]
    fn a_www_address_gets_a_scheme() {
        assert_eq!(
            sites("🔗 www.atelier-koeln.de"),
            ["https://www.atelier-koeln.de"]
        );
    }
    #[test]
    fn a_full_url_is_kept_and_trailing_punctuation_dropped() {
        assert_eq!(
            sites("Shop: https://shop.mia-malt.de/sale!"),
            ["https://shop.mia-malt.de/sale"]
        );
    }
    #[test]
    fn the_domain_of_an_address_is_not_also_a_website() {
        assert!(sites("📩 info@gruenewiese.de").is_empty());
    }
    #[test]
    fn instagram_links_are_not_the_leads_website() {
        assert!(sites("Zweitaccount: instagram.com/mia.privat").is_empty());
    }
    #[test]
    fn the_same_site_with_and_without_www_counts_once() {
        assert_eq!(
            sites("www.lunabakes.com | https://lunabakes.com/"),
            ["https://www.lunabakes.com"]
        );
    }
    #[test]
    fn abbreviations_with_dots_are_not_domains() {
        assert!(sites("Kuchen, Torten u.a. auf Bestellung, z.B. Hochzeiten").is_empty());
    }

    // --- whole bios ----------------------------------------------------------------------------------------
    #[test]
    fn a_german_business_bio_with_everything() {
        let c = extract(
            "Hofladen & Café 🌾 Bio aus der Region\n📍 Lindenweg 4, 79100 Freiburg\n☎️ 0761 4567890\n\
             ✉️ hallo [at] hof-sonnenberg.de\n🔗 www.hof-sonnenberg.de",
        );
        assert_eq!(c.emails, ["hallo@hof-sonnenberg.de"]);
        assert_eq!(c.phones, ["0761 4567890"]);
        assert_eq!(c.websites, ["https://www.hof-sonnenberg.de"]);
    }
    #[test]
    fn an_english_creator_bio_with_everything() {
        let c = extract(
            "Plant-based recipes 🌱 | NYC\nCollabs: hi at greenbowl dot co\n📞 +1 (555) 012-3456\n👇 beacons.ai/greenbowl",
        );
        assert_eq!(c.emails, ["hi@greenbowl.co"]);
        assert_eq!(c.phones, ["+1 (555) 012-3456"]);
        assert_eq!(c.websites, ["https://beacons.ai/greenbowl"]);
    }
    #[test]
    fn a_bio_with_no_contact_data() {
        let c = extract("Mama von zwei 💛 Alltag, Kaffee & Chaos | Hamburg | DM für Kooperationen");
        assert!(c.is_empty(), "{c:?}");
    }
    #[test]
    fn a_private_bio_with_only_emojis_and_a_handle() {
        assert!(extract("🏔️⛷️🏄‍♀️ | 📷 @tom.shoots | 25").is_empty());
    }
}
