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
