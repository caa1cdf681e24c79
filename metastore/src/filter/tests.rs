use super::*;

fn keys(spec: &[(&str, &str)]) -> Vec<Column> {
    spec.iter()
        .map(|(n, t)| Column {
            name: n.to_string(),
            type_name: t.to_string(),
            comment: None,
        })
        .collect()
}

fn ymd() -> Vec<Column> {
    keys(&[("year", "string"), ("month", "string"), ("day", "int")])
}

fn m(filter: &str, vals: &[&str]) -> bool {
    let f = PartitionFilter::new(filter, &ymd()).unwrap();
    f.matches(&vals.iter().map(|s| s.to_string()).collect::<Vec<_>>())
}

#[test]
fn comparisons_and_logic() {
    assert!(m("year = '2024'", &["2024", "01", "5"]));
    assert!(m("year=\"2024\" AND month >= '02'", &["2024", "03", "5"]));
    assert!(!m("year=\"2024\" and month >= '02'", &["2024", "01", "5"]));
    assert!(m(
        "year = '2023' or (month = '01' and day > 3)",
        &["2024", "01", "5"]
    ));
    assert!(m("NOT year = '2023'", &["2024", "01", "5"]));
    assert!(m("'2024' = year", &["2024", "01", "5"]));
    assert!(m("3 < day", &["2024", "01", "5"]));
    assert!(m("year <> '2023' AND year != '2022'", &["2024", "01", "5"]));
}

#[test]
fn integer_keys_compare_as_numbers() {
    assert!(m("day > 9", &["2024", "01", "10"]));
    assert!(m("day = 7", &["2024", "01", "07"]));
    assert!(!m("day < 2", &["2024", "01", "10"]));
    assert!(!m("day = 1", &["2024", "01", "not-a-number"]));
}

#[test]
fn between_in_like() {
    assert!(m("day between 1 and 10", &["2024", "01", "10"]));
    assert!(m("day NOT BETWEEN 1 AND 9", &["2024", "01", "10"]));
    assert!(m("month in ('01', '02')", &["2024", "02", "1"]));
    assert!(m("(month) not in ('01', '02')", &["2024", "03", "1"]));
    assert!(m(
        "(struct(year, month)) IN (const struct('2024', '02'))",
        &["2024", "02", "1"]
    ));
    assert!(m("year like '20.*'", &["2024", "02", "1"]));
    assert!(m("year LIKE \".*02.*\"", &["2024", "02", "1"]));
    assert!(!m("year like '20'", &["2024", "02", "1"]));
}

#[test]
fn default_partition_is_null() {
    let v = &["__HIVE_DEFAULT_PARTITION__", "01", "1"];
    assert!(!m("year = '2024'", v));
    assert!(!m("year != '2024'", v));
    assert!(!m("not year = '2024'", v));
    assert!(m("year = '2024' or month = '01'", v));
}

#[test]
fn dates() {
    let k = keys(&[("d", "date")]);
    let f = PartitionFilter::new("d >= date '2024-01-02' and d < 2024-02-01", &k).unwrap();
    assert!(f.matches(&["2024-01-15".into()]));
    assert!(!f.matches(&["2024-02-01".into()]));
}

#[test]
fn errors_read_like_hive() {
    let e = PartitionFilter::new("nope = '1'", &ymd())
        .unwrap_err()
        .to_string();
    assert_eq!(e, "nope is not a partitioning key for the table");
    for bad in [
        "year = ",
        "year == '1'",
        "(year = '1'",
        "year = '1' and",
        "year ~ 1",
        "'x",
    ] {
        let e = PartitionFilter::new(bad, &ymd()).unwrap_err().to_string();
        assert!(
            e.starts_with("Error parsing partition filter"),
            "{bad}: {e}"
        );
    }
}

#[test]
fn empty_filter_matches_everything() {
    assert!(m("", &["a", "b", "1"]));
    assert!(m("   ", &["a", "b", "1"]));
}

#[test]
fn leading_prefix_for_range_scans() {
    let f = |s: &str| {
        PartitionFilter::new(s, &ymd())
            .unwrap()
            .leading_values()
            .to_vec()
    };
    assert_eq!(f("year = '2024' and month = '01'"), vec!["2024", "01"]);
    assert_eq!(
        f("month = '01' AND year = '2024' and day = 3"),
        vec!["2024", "01"]
    );
    assert_eq!(f("month = '01'"), Vec::<String>::new());
    assert_eq!(f("year = '2024' or month = '01'"), Vec::<String>::new());
    assert_eq!(f("year = '2024' and month > '01'"), vec!["2024"]);
}

#[test]
fn keys_fixed_past_the_prefix_are_index_candidates() {
    let f = |s: &str| {
        let filter = PartitionFilter::new(s, &ymd()).unwrap();
        let fixed: Vec<(usize, String)> = filter
            .fixed_after_prefix()
            .map(|(i, v)| (i, v.to_string()))
            .collect();
        fixed
    };
    assert_eq!(f("month = '01'"), vec![(1, "01".to_string())]);
    assert_eq!(f("year = '2024' and month = '01'"), vec![]);
    assert_eq!(f("year = '2024' and day = 3"), vec![]);
    assert_eq!(
        f("month = '02' or month = '01'"),
        Vec::<(usize, String)>::new()
    );
    assert_eq!(f("not month = '01'"), vec![]);
}

/// Runs `f` on a thread with the 2 MB stack of a connection thread.
fn on_connection_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

fn chain(n: usize, op: &str, term: impl Fn(usize) -> String) -> String {
    (1..=n).map(term).collect::<Vec<_>>().join(op)
}

#[test]
fn long_or_chain_is_flat_and_evaluates() {
    let filter = chain(100_000, " or ", |i| format!("month = '{i}'"));
    let expr = parse(&filter).unwrap();
    assert!(matches!(&expr, Expr::Or(terms) if terms.len() == 100_000));
    let hits = on_connection_stack(move || {
        let f = PartitionFilter::new(&filter, &ymd()).unwrap();
        let at = |month: &str| f.matches(&["2024".into(), month.into(), "1".into()]);
        let hits = [at("1"), at("77777"), at("100000"), at("100001"), at("0")];
        let null = f.matches(&["2024".into(), DEFAULT_PARTITION.into(), "1".into()]);
        (hits, null)
    });
    assert_eq!(hits, ([true, true, true, false, false], false));
}

#[test]
fn long_and_chain_is_flat_and_evaluates() {
    let filter = chain(100_000, " AND ", |i| format!("day <> {i}"));
    assert!(matches!(parse(&filter).unwrap(), Expr::And(t) if t.len() == 100_000));
    let hits = on_connection_stack(move || {
        let f = PartitionFilter::new(&filter, &ymd()).unwrap();
        let at = |day: &str| f.matches(&["2024".into(), "01".into(), day.into()]);
        [at("0"), at("5"), at("100000"), at("100001")]
    });
    assert_eq!(hits, [true, false, false, true]);
}

#[test]
fn parenthesized_junctions_flatten_into_their_parent() {
    let e = parse("year = '1' and (month = '2' and day = 3) and (year = '4' or month = '5')");
    let Ok(Expr::And(terms)) = e else {
        panic!("{e:?}")
    };
    assert_eq!(terms.len(), 4);
    assert!(matches!(&terms[3], Expr::Or(t) if t.len() == 2));
    let Ok(Expr::Or(terms)) = parse("(year = '1' or month = '2') or (day = 3 or day = 4)") else {
        panic!()
    };
    assert_eq!(terms.len(), 4);
}

fn assert_too_deep(filter: String) {
    let e = on_connection_stack(move || PartitionFilter::new(&filter, &ymd()).map(|_| ()));
    let msg = e.unwrap_err().to_string();
    assert!(
        msg.starts_with("Error parsing partition filter: ") && msg.contains("too deeply nested"),
        "{msg}"
    );
}

#[test]
fn deep_nesting_is_refused_not_a_crash() {
    let parens = |n: usize| format!("{}year = '2024'{}", "(".repeat(n), ")".repeat(n));
    let nots = |n: usize| format!("{}year = '2024'", "NOT ".repeat(n));
    assert_too_deep(parens(10_000));
    assert_too_deep(nots(10_000));
    assert_too_deep(format!("{}year = '2024'", "not (".repeat(5_000)));
    assert_too_deep(parens(parse::MAX_DEPTH + 1));
    assert_too_deep(nots(parse::MAX_DEPTH + 1));
}

#[test]
fn nesting_up_to_the_limit_works_on_a_connection_stack() {
    let depth = parse::MAX_DEPTH;
    // Alternating NOT and a junction in parentheses nests every level in the tree.
    let mut filter = "year = '2024'".to_string();
    for i in 0..depth / 2 {
        filter = format!("not (month = '{i}' or {filter})");
    }
    let parens = format!("{}year = '2024'{}", "(".repeat(depth), ")".repeat(depth));
    let nots = format!("{}year = '2024'", "NOT ".repeat(depth));
    let got = on_connection_stack(move || {
        let vals = ["2024".to_string(), "x".into(), "1".into()];
        [filter, parens, nots].map(|f| PartitionFilter::new(&f, &ymd()).unwrap().matches(&vals))
    });
    // depth / 2 = 100 negations of true, then 200: both even.
    assert_eq!(got, [true, true, true]);
}

#[test]
fn string_literals_have_no_escapes() {
    let k = keys(&[("path", "string")]);
    let at = |filter: &str, v: &str| {
        PartitionFilter::new(filter, &k)
            .unwrap()
            .matches(&[v.to_string()])
    };
    assert!(at(r#"path = "C:\x""#, r"C:\x"));
    assert!(at(r"path = 'C:\x'", r"C:\x"));
    assert!(at(r"path = 'a\nb'", r"a\nb"));
    assert!(!at(r"path = 'a\nb'", "a\nb"));
    // A trailing backslash does not escape the closing quote.
    assert!(at(r"path = 'dir\' and path <> 'x'", r"dir\"));
    // Spark quotes a value containing one quote character with the other.
    assert!(at(r#"path = "it's""#, "it's"));
    assert!(at(r#"path = 'say "hi"'"#, r#"say "hi""#));
    assert_eq!(
        parse(r"path in ('\\', '\')").unwrap(),
        Expr::In {
            keys: vec!["path".into()],
            rows: vec![
                vec![Literal::Str(r"\\".into())],
                vec![Literal::Str(r"\".into())]
            ],
        }
    );
}

#[test]
fn text_values_are_borrowed_not_copied() {
    let raw = String::from("2024-01-02");
    for kind in [KeyType::Text, KeyType::Date] {
        match typed(kind, &raw) {
            Some(Value::Text(t)) => assert!(std::ptr::eq(t, raw.as_str())),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(typed(KeyType::Integer, " 7 "), Some(Value::Int(7)));
    assert_eq!(typed(KeyType::Decimal, "1.5"), Some(Value::Num(1.5)));
    assert_eq!(typed(KeyType::Integer, "x"), None);
}

#[test]
fn typed_comparisons_by_key_type() {
    let k = keys(&[("s", "varchar(10)"), ("x", "double"), ("n", "bigint")]);
    let at = |filter: &str, v: [&str; 3]| {
        PartitionFilter::new(filter, &k)
            .unwrap()
            .matches(&v.map(String::from))
    };
    // As numbers 9.5 < 10.25 and 9 < 10; as strings both would be greater.
    assert!(at("x < '10.25'", ["a", "9.5", "9"]));
    assert!(at("n < 10", ["a", "9.5", "9"]));
    assert!(!at("s < '10'", ["9", "9.5", "9"]));
    assert!(at("x in ('9.50', '1')", ["a", "9.5", "9"]));
    assert!(at("n in (9, 10)", ["a", "9.5", "009"]));
    assert!(!at("x = 'NaN'", ["a", "NaN", "9"]));
    assert!(!at("n in (1, 'x')", ["a", "1.0", "2"]));
    assert!(!at("not n in (1, 'x')", ["a", "1.0", "2"]));
    assert!(at(
        "(struct(s, n)) in (const struct('a', 9))",
        ["a", "9.5", "09"]
    ));
    assert!(!at(
        "(struct(s, n)) in (const struct('a', 9))",
        ["b", "9.5", "09"]
    ));
}
