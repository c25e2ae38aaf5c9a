use super::*;

const VARIABLES: &[&str] = &[
    "username",
    "full_name",
    "followers",
    "biography",
    "product_name",
    "price",
];
const FLAGS: &[&str] = &["discount_enabled", "bonus_enabled", "trial_enabled"];

fn schema() -> Schema<'static> {
    Schema {
        variables: VARIABLES,
        flags: FLAGS,
    }
}

fn ctx() -> Context {
    Context::new()
        .with_variable("username", "jörg_88")
        .with_variable("full_name", "Jörg Müller")
        .with_variable("followers", "1200")
        .with_variable("price", "49 €")
}

fn flags(discount: bool, bonus: bool, trial: bool) -> Context {
    ctx()
        .with_flag("discount_enabled", discount)
        .with_flag("bonus_enabled", bonus)
        .with_flag("trial_enabled", trial)
}

fn render(src: &str, ctx: &Context) -> String {
    match Template::compile(src, &schema()) {
        Ok(t) => t.render(ctx),
        Err(errors) => panic!("unexpected errors for {src:?}: {errors:#?}"),
    }
}

fn errors(src: &str) -> Vec<(usize, usize, &'static str, String)> {
    match Template::compile(src, &schema()) {
        Ok(_) => panic!("expected errors for {src:?}"),
        Err(errors) => errors
            .into_iter()
            .map(|e| (e.line, e.column, e.code, e.message))
            .collect(),
    }
}

fn err(
    line: usize,
    column: usize,
    code: &'static str,
    message: &str,
) -> (usize, usize, &'static str, String) {
    (line, column, code, message.to_owned())
}

#[test]
fn empty_template() {
    let t = Template::compile("", &schema()).unwrap();
    assert_eq!(t.render(&ctx()), "");
    assert_eq!(t.render(&Context::new()), "");
    assert!(t.variables().is_empty());
    assert!(t.flags().is_empty());
    assert_eq!(t.validate(&Schema::default()), vec![]);
    assert_eq!(Template::parse("").unwrap(), Template::default());
}

#[test]
fn substitutes_variables_with_optional_whitespace() {
    assert_eq!(
        render(
            "Hi {{full_name}} (@{{ username }}, {{\tfollowers  }} followers)",
            &ctx()
        ),
        "Hi Jörg Müller (@jörg_88, 1200 followers)"
    );
    assert_eq!(render("{{price}}{{price}}", &ctx()), "49 €49 €");
}

#[test]
fn known_variable_missing_from_context_renders_empty() {
    assert_eq!(render("Bio: [{{biography}}]", &ctx()), "Bio: []");
}

#[test]
fn values_are_not_reinterpreted() {
    let c = Context::new().with_variable("biography", "{{price}} [IF discount_enabled]x[/IF] \\{{");
    assert_eq!(
        render("<{{biography}}>", &c),
        "<{{price}} [IF discount_enabled]x[/IF] \\{{>"
    );
}

#[test]
fn if_without_else() {
    let src = "A[IF discount_enabled]B[/IF]C";
    assert_eq!(render(src, &flags(true, false, false)), "ABC");
    assert_eq!(render(src, &flags(false, false, false)), "AC");
    // A flag missing from the context counts as false.
    assert_eq!(render(src, &Context::new()), "AC");
}

#[test]
fn if_with_else_and_spaces_inside_tag() {
    let src = "[IF  discount_enabled ]cheap[ELSE]full price[/IF]";
    assert_eq!(render(src, &flags(true, false, false)), "cheap");
    assert_eq!(render(src, &flags(false, false, false)), "full price");
}

#[test]
fn not_negates_the_condition() {
    let src = "[IF NOT discount_enabled]no discount[ELSE]discount[/IF]|[IF\tNOT  trial_enabled]no trial[/IF]";
    assert_eq!(
        render(src, &flags(false, false, false)),
        "no discount|no trial"
    );
    assert_eq!(render(src, &flags(true, false, true)), "discount|");
}

#[test]
fn three_levels_of_nesting() {
    let src = "<[IF discount_enabled]d[IF bonus_enabled]b[IF trial_enabled]t[/IF]B[/IF]D[/IF]>";
    let cases = [
        ((false, false, false), "<>"),
        ((false, true, true), "<>"),
        ((true, false, false), "<dD>"),
        ((true, false, true), "<dD>"),
        ((true, true, false), "<dbBD>"),
        ((true, true, true), "<dbtBD>"),
    ];
    for ((d, b, t), expected) in cases {
        assert_eq!(render(src, &flags(d, b, t)), expected, "flags {d} {b} {t}");
    }
}

#[test]
fn else_in_nested_blocks() {
    let src = "[IF discount_enabled]\
               D[IF bonus_enabled]B[IF NOT trial_enabled]-t[ELSE]+t[/IF][ELSE]-b[/IF]\
               [ELSE]\
               -d[IF bonus_enabled]B[ELSE]-b[IF trial_enabled]+t[ELSE]-t[/IF][/IF]\
               [/IF]";
    let cases = [
        ((true, true, true), "DB+t"),
        ((true, true, false), "DB-t"),
        ((true, false, true), "D-b"),
        ((false, true, false), "-dB"),
        ((false, false, true), "-d-b+t"),
        ((false, false, false), "-d-b-t"),
    ];
    for ((d, b, t), expected) in cases {
        assert_eq!(render(src, &flags(d, b, t)), expected, "flags {d} {b} {t}");
    }
}

#[test]
fn deep_nesting_does_not_recurse() {
    let depth = 20_000;
    let src = format!(
        "{}x{}",
        "[IF discount_enabled]".repeat(depth),
        "[ELSE]y[/IF]".repeat(depth)
    );
    let t = Template::compile(&src, &schema()).unwrap();
    assert_eq!(t.render(&flags(true, false, false)), "x");
    assert_eq!(t.render(&flags(false, false, false)), "y");
    let clone = t.clone();
    assert_eq!(clone, t);
}

#[test]
fn unknown_variable_and_flag_with_exact_positions() {
    let src =
        "Hallo!\n\n  Liebe(r) {{fulname}},\n[IF discout_enabled]\n{{ price }} {{prise}}\n[/IF]";
    assert_eq!(
        errors(src),
        vec![
            err(
                3,
                12,
                "unknown_variable",
                "Unknown variable \"fulname\" (line 3, column 12)"
            ),
            err(
                4,
                1,
                "unknown_flag",
                "Unknown flag \"discout_enabled\" (line 4, column 1)"
            ),
            err(
                5,
                13,
                "unknown_variable",
                "Unknown variable \"prise\" (line 5, column 13)"
            ),
        ]
    );
}

#[test]
fn validate_reports_schema_errors_only() {
    let t = Template::parse("{{a}} {{username}} [IF NOT x_enabled][/IF] {{a}}").unwrap();
    let errors = t.validate(&Schema {
        variables: &["username"],
        flags: &[],
    });
    assert_eq!(
        errors,
        vec![
            TemplateError {
                line: 1,
                column: 1,
                code: "unknown_variable",
                message: "Unknown variable \"a\" (line 1, column 1)".into(),
            },
            TemplateError {
                line: 1,
                column: 20,
                code: "unknown_flag",
                message: "Unknown flag \"x_enabled\" (line 1, column 20)".into(),
            },
            TemplateError {
                line: 1,
                column: 44,
                code: "unknown_variable",
                message: "Unknown variable \"a\" (line 1, column 44)".into(),
            },
        ]
    );
    assert_eq!(
        t.validate(&Schema {
            variables: &["a", "username"],
            flags: &["x_enabled"],
        }),
        vec![]
    );
}

#[test]
fn variables_and_flags_are_collected() {
    let t = Template::parse(
        "{{price}} [IF NOT discount_enabled]{{ username }}[IF bonus_enabled][ELSE]{{price}}[/IF][/IF]",
    )
    .unwrap();
    assert_eq!(
        t.variables().into_iter().collect::<Vec<_>>(),
        vec!["price", "username"]
    );
    assert_eq!(
        t.flags().into_iter().collect::<Vec<_>>(),
        vec!["bonus_enabled", "discount_enabled"]
    );
}

#[test]
fn unclosed_if_is_reported_at_its_tag() {
    assert_eq!(
        errors("Hi\n[IF discount_enabled]\ncheap\n"),
        vec![err(
            2,
            1,
            "unclosed_if",
            "[IF discount_enabled] opened on line 2, column 1 is never closed"
        )]
    );
    // Two unclosed blocks, reported in source order; the inner one is negated.
    assert_eq!(
        errors("[IF bonus_enabled] a [IF NOT trial_enabled] b [ELSE] c"),
        vec![
            err(
                1,
                1,
                "unclosed_if",
                "[IF bonus_enabled] opened on line 1, column 1 is never closed"
            ),
            err(
                1,
                22,
                "unclosed_if",
                "[IF NOT trial_enabled] opened on line 1, column 22 is never closed"
            ),
        ]
    );
}

#[test]
fn stray_else_and_endif() {
    assert_eq!(
        errors("a\n[ELSE]\nb [/IF] c\n[IF discount_enabled]x[/IF][/IF]"),
        vec![
            err(
                2,
                1,
                "unexpected_else",
                "[ELSE] without a matching [IF] (line 2, column 1)"
            ),
            err(
                3,
                3,
                "unexpected_endif",
                "[/IF] without a matching [IF] (line 3, column 3)"
            ),
            err(
                4,
                28,
                "unexpected_endif",
                "[/IF] without a matching [IF] (line 4, column 28)"
            ),
        ]
    );
}

#[test]
fn second_else_in_a_block() {
    assert_eq!(
        errors("[IF trial_enabled]a[ELSE]b\n  [ELSE]c[/IF]"),
        vec![err(
            2,
            3,
            "unexpected_else",
            "Second [ELSE] (line 2, column 3) in [IF trial_enabled] opened on line 1, column 1"
        )]
    );
}

#[test]
fn unclosed_variable() {
    assert_eq!(
        errors("Hi {{full_name\nand {{ price }"),
        vec![
            err(
                1,
                4,
                "unclosed_variable",
                "{{ opened on line 1, column 4 is never closed with }}"
            ),
            err(
                2,
                5,
                "unclosed_variable",
                "{{ opened on line 2, column 5 is never closed with }}"
            ),
        ]
    );
    // A new `{{` before the `}}` means the first one was never closed; the
    // second is still checked.
    assert_eq!(
        errors("{{ {{nope}}"),
        vec![
            err(
                1,
                1,
                "unclosed_variable",
                "{{ opened on line 1, column 1 is never closed with }}"
            ),
            err(
                1,
                4,
                "unknown_variable",
                "Unknown variable \"nope\" (line 1, column 4)"
            ),
        ]
    );
}

#[test]
fn invalid_variable_names() {
    let src = "{{Full_Name}} {{1st}} {{}} {{ full name }} {{full-name}} {{ü}}";
    let rule = "names must start with a lowercase letter and contain only a-z, 0-9 and _";
    assert_eq!(
        errors(src),
        vec![
            err(
                1,
                1,
                "invalid_variable_name",
                &format!("Invalid variable name \"Full_Name\" (line 1, column 1): {rule}")
            ),
            err(
                1,
                15,
                "invalid_variable_name",
                &format!("Invalid variable name \"1st\" (line 1, column 15): {rule}")
            ),
            err(
                1,
                23,
                "invalid_variable_name",
                "Empty variable name in {{}} (line 1, column 23)"
            ),
            err(
                1,
                28,
                "invalid_variable_name",
                &format!("Invalid variable name \"full name\" (line 1, column 28): {rule}")
            ),
            err(
                1,
                44,
                "invalid_variable_name",
                &format!("Invalid variable name \"full-name\" (line 1, column 44): {rule}")
            ),
            err(
                1,
                58,
                "invalid_variable_name",
                &format!("Invalid variable name \"ü\" (line 1, column 58): {rule}")
            ),
        ]
    );
}

#[test]
fn invalid_conditions() {
    let src = "[IF discount][/IF]\n[IF]x[/IF]\n[IF NOT]y[/IF]\n[IF Discount_enabled][/IF]\n[IF a_enabled b_enabled][/IF]\n[IF discount_enabled\n[/IF]";
    let rule = "expected a flag name ending in \"_enabled\", optionally preceded by NOT";
    assert_eq!(
        errors(src),
        vec![
            err(1, 1, "invalid_condition", &format!("Invalid condition \"discount\" in [IF discount] (line 1, column 1): {rule}")),
            err(2, 1, "invalid_condition", "[IF] on line 2, column 1 has no condition: expected a flag name ending in \"_enabled\", e.g. [IF discount_enabled]"),
            err(3, 1, "invalid_condition", &format!("Invalid condition \"NOT\" in [IF NOT] (line 3, column 1): {rule}")),
            err(4, 1, "invalid_condition", &format!("Invalid condition \"Discount_enabled\" in [IF Discount_enabled] (line 4, column 1): {rule}")),
            err(5, 1, "invalid_condition", &format!("Invalid condition \"a_enabled b_enabled\" in [IF a_enabled b_enabled] (line 5, column 1): {rule}")),
            // The unterminated tag still opens a block, so its [/IF] is not stray.
            err(6, 1, "invalid_condition", "[IF on line 6, column 1 is missing its closing \"]\""),
        ]
    );
}

#[test]
fn parse_reports_syntax_errors_only_and_compile_merges_in_order() {
    let src = "{{nope}} [ELSE] {{ Bad }}\n[IF nope_enabled]";
    let syntax = Template::parse(src).unwrap_err();
    assert_eq!(
        syntax
            .iter()
            .map(|e| (e.line, e.column, e.code))
            .collect::<Vec<_>>(),
        vec![
            (1, 10, "unexpected_else"),
            (1, 17, "invalid_variable_name"),
            (2, 1, "unclosed_if"),
        ]
    );
    assert_eq!(
        Template::compile(src, &schema())
            .unwrap_err()
            .iter()
            .map(|e| (e.line, e.column, e.code))
            .collect::<Vec<_>>(),
        vec![
            (1, 1, "unknown_variable"),
            (1, 10, "unexpected_else"),
            (1, 17, "invalid_variable_name"),
            // Ties keep syntax errors first.
            (2, 1, "unclosed_if"),
            (2, 1, "unknown_flag"),
        ]
    );
}

#[test]
fn other_brackets_are_plain_text() {
    let src = "See [link] and [1], [if discount_enabled], [IFFY], [else], [ ELSE ], [/if], {x}, }}, {single} ]";
    assert_eq!(render(src, &ctx()), src);
}

#[test]
fn escapes() {
    assert_eq!(
        render(
            "\\{{full_name}} \\[IF discount_enabled]x\\[ELSE]y\\[/IF] \\[IF\\ {{price}} \\n \\\\ \\[link]",
            &ctx()
        ),
        "{{full_name}} [IF discount_enabled]x[ELSE]y[/IF] [IF\\ 49 € \\n \\\\ \\[link]"
    );
    // Escaped tags are neither validated nor counted.
    let t = Template::compile("\\{{nope}} \\[IF nope_enabled]", &schema()).unwrap();
    assert!(t.variables().is_empty() && t.flags().is_empty());
}

#[test]
fn umlauts_and_emoji_are_preserved() {
    let src = "Grüß dich, {{full_name}}! 👩‍💻🇩🇪 Straße ÄÖÜ äöü ß\n[IF discount_enabled]🎉 Rabatt: {{price}} 💶[ELSE]😢[/IF] ✔️";
    assert_eq!(
        render(src, &flags(true, false, false)),
        "Grüß dich, Jörg Müller! 👩‍💻🇩🇪 Straße ÄÖÜ äöü ß\n🎉 Rabatt: 49 € 💶 ✔️"
    );
    assert_eq!(
        render(src, &flags(false, false, false)),
        "Grüß dich, Jörg Müller! 👩‍💻🇩🇪 Straße ÄÖÜ äöü ß\n😢 ✔️"
    );
}

#[test]
fn error_columns_count_chars_after_umlauts_and_emoji() {
    // "Grüße " is 6 chars; 👩‍💻 is 3 chars (woman, ZWJ, laptop); 🇩🇪 is 2 chars.
    assert_eq!(
        errors("Grüße {{nme}}\n👩‍💻 {{x}} 🇩🇪 [/IF]\nä[IF nope_enabled]"),
        vec![
            err(
                1,
                7,
                "unknown_variable",
                "Unknown variable \"nme\" (line 1, column 7)"
            ),
            err(
                2,
                5,
                "unknown_variable",
                "Unknown variable \"x\" (line 2, column 5)"
            ),
            err(
                2,
                14,
                "unexpected_endif",
                "[/IF] without a matching [IF] (line 2, column 14)"
            ),
            err(
                3,
                2,
                "unclosed_if",
                "[IF nope_enabled] opened on line 3, column 2 is never closed"
            ),
            err(
                3,
                2,
                "unknown_flag",
                "Unknown flag \"nope_enabled\" (line 3, column 2)"
            ),
        ]
    );
}

#[test]
fn crlf_line_endings() {
    let src = "Hallo {{full_name}},\r\n[IF discount_enabled]\r\nRabatt: {{price}}\r\n[ELSE]\r\nKein Rabatt.\r\n[/IF]\r\nGruß\r\n";
    assert_eq!(
        render(src, &flags(true, false, false)),
        "Hallo Jörg Müller,\r\nRabatt: 49 €\r\nGruß\r\n"
    );
    assert_eq!(
        render(src, &flags(false, false, false)),
        "Hallo Jörg Müller,\r\nKein Rabatt.\r\nGruß\r\n"
    );
    // Lines and columns are counted the same with CRLF.
    assert_eq!(
        errors("a\r\nb {{nope}}\r\n"),
        vec![err(
            2,
            3,
            "unknown_variable",
            "Unknown variable \"nope\" (line 2, column 3)"
        )]
    );
    // Plain text with CRLF survives untouched.
    assert_eq!(render("x\r\n\r\ny\r", &ctx()), "x\r\n\r\ny\r");
}

#[test]
fn standalone_tag_lines_are_removed() {
    let src = "Hi\n[IF discount_enabled]\n  Discount!\n\t[IF bonus_enabled]  \n  Bonus!\n  [ELSE]\n  No bonus.\n  [/IF]\t\n[/IF]\nBye\n";
    assert_eq!(
        render(src, &flags(true, true, false)),
        "Hi\n  Discount!\n  Bonus!\nBye\n"
    );
    assert_eq!(
        render(src, &flags(true, false, false)),
        "Hi\n  Discount!\n  No bonus.\nBye\n"
    );
    assert_eq!(render(src, &flags(false, true, false)), "Hi\nBye\n");
}

#[test]
fn standalone_rule_edge_cases() {
    let on = flags(true, false, false);
    // Last line without a line break.
    assert_eq!(render("a\n[IF discount_enabled]\nb\n[/IF]", &on), "a\nb\n");
    // First line.
    assert_eq!(render("[IF discount_enabled]\nb\n[/IF]\n", &on), "b\n");
    // Several tags on one otherwise empty line.
    assert_eq!(
        render("a\n[IF discount_enabled]\nb\n[ELSE] [/IF]\nc", &on),
        "a\nb\nc"
    );
    // Blank lines that are not tag lines are kept.
    assert_eq!(
        render("a\n\n[IF discount_enabled]\n\nb\n[/IF]\n\n", &on),
        "a\n\n\nb\n\n"
    );
    // A line with a variable next to a tag is not standalone.
    assert_eq!(
        render("[IF discount_enabled] {{price}}\n[/IF]", &on),
        " 49 €\n"
    );
    // A template made only of tag lines.
    assert_eq!(render("  [IF discount_enabled]  \n\t[/IF]", &on), "");
    // Escaped tags are text, so the line stays.
    assert_eq!(render("\\[/IF]\n", &on), "[/IF]\n");
}

#[test]
fn inline_tags_leave_surrounding_text_untouched() {
    let src = "Price: [IF discount_enabled] {{price}} [ELSE] full [/IF] today.\n  [IF NOT trial_enabled]no trial[/IF]  \n";
    assert_eq!(
        render(src, &flags(true, false, false)),
        "Price:  49 €  today.\n  no trial  \n"
    );
    assert_eq!(
        render(src, &flags(false, false, true)),
        "Price:  full  today.\n    \n"
    );
}

#[test]
fn error_serializes_and_displays_its_message() {
    let e = Template::compile("{{nope}}", &schema()).unwrap_err();
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        serde_json::json!([{
            "line": 1,
            "column": 1,
            "code": "unknown_variable",
            "message": "Unknown variable \"nope\" (line 1, column 1)"
        }])
    );
    assert_eq!(
        e[0].to_string(),
        "Unknown variable \"nope\" (line 1, column 1)"
    );
}

#[test]
fn context_deserializes_with_defaults() {
    let c: Context =
        serde_json::from_value(serde_json::json!({ "variables": { "price": "5" } })).unwrap();
    assert_eq!(c.variable("price"), Some("5"));
    assert!(!c.flag("discount_enabled"));
    let mut c = Context::new();
    c.set_variable("price", "7")
        .set_flag("discount_enabled", true);
    assert_eq!(render("[IF discount_enabled]{{price}}[/IF]", &c), "7");
}

/// Property-style test: any printable input without tags renders unchanged.
#[test]
fn text_without_tags_renders_unchanged() {
    const POOL: &[&str] = &[
        "a",
        "Z",
        "0",
        " ",
        "\t",
        "\n",
        "\r\n",
        "\r",
        "ä",
        "Ö",
        "ü",
        "ß",
        "€",
        "👩‍💻",
        "🇩🇪",
        "✔️",
        "日本",
        "{",
        "}",
        "}}",
        "[",
        "]",
        "[link]",
        "[1]",
        "[ELSE",
        "[/I",
        "IF",
        "ELSE",
        "NOT",
        "_enabled",
        "\\",
        "\\n",
        "\\\\",
        "\"",
        "'",
        "<",
        ">",
        "&",
        "%",
        "$",
        "#",
        ".",
        "[if a_enabled]",
        "[else]",
        "[/if]",
        "{ {",
        "} }",
    ];
    // xorshift64*: deterministic, dependency-free.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let is_tag_free = |s: &str| {
        !(s.contains("{{") || s.contains("[IF") || s.contains("[ELSE]") || s.contains("[/IF]"))
    };
    let mut checked = 0;
    for _ in 0..5_000 {
        let len = (next() % 40) as usize;
        let input: String = (0..len)
            .map(|_| POOL[(next() % POOL.len() as u64) as usize])
            .collect();
        if !is_tag_free(&input) {
            continue;
        }
        checked += 1;
        let t = Template::compile(&input, &Schema::default())
            .unwrap_or_else(|e| panic!("{input:?} failed: {e:?}"));
        assert_eq!(t.render(&ctx()), input);
        assert!(t.variables().is_empty() && t.flags().is_empty());
    }
    assert!(checked > 4_000, "only {checked} inputs were tag-free");
}

#[test]
fn error_has_an_openapi_schema() {
    use utoipa::{PartialSchema, ToSchema};
    assert_eq!(TemplateError::name(), "TemplateError");
    let schema = serde_json::to_value(TemplateError::schema()).unwrap();
    assert_eq!(schema["properties"]["code"]["type"], "string");
    assert_eq!(schema["properties"]["line"]["type"], "integer");
    assert_eq!(
        schema["required"],
        serde_json::json!(["line", "column", "code", "message"])
    );
}
