//! Small text helpers for model answers.

/// The JSON inside a model answer: without a leading `<think>…</think>` block and without Markdown code fences.
pub(crate) fn answer_json(content: &str) -> &str {
    let mut s = content.trim_start();
    if let Some(rest) = s.strip_prefix("<think>") {
        s = match rest.find("</think>") {
            Some(end) => &rest[end + "</think>".len()..],
            // An unclosed think block: the JSON (if any) starts at the first brace.
            None => rest.find('{').map_or("", |i| &rest[i..]),
        };
    }
    let mut s = s.trim();
    if let Some(rest) = s.strip_prefix("```") {
        let rest = rest.strip_prefix("json").unwrap_or(rest);
        s = rest.trim().strip_suffix("```").unwrap_or(rest).trim();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_think_and_fences() {
        assert_eq!(answer_json("{\"a\":1}"), "{\"a\":1}");
        assert_eq!(
            answer_json("<think>let me see {x}</think>\n{\"a\":1}"),
            "{\"a\":1}"
        );
        assert_eq!(answer_json("```json\n{\"a\":1}\n```"), "{\"a\":1}");
        assert_eq!(
            answer_json("  <think>hm</think>```json\n{\"a\":1}```"),
            "{\"a\":1}"
        );
        assert_eq!(answer_json("<think>never closed {\"a\":1}"), "{\"a\":1}");
    }
}
