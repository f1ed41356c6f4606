//! The audit log's appends (moved from host/tests/all/audit.rs: `append` is
//! internal to the host).

#[test]
fn concurrent_appends_stay_whole_lines() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let big = "x".repeat(8192);
    std::thread::scope(|s| {
        for t in 0..8 {
            let (log, big) = (&log, &big);
            s.spawn(move || {
                for i in 0..40 {
                    super::append(log, &serde_json::json!({"thread": t, "i": i, "pad": big}))
                        .unwrap();
                }
            });
        }
    });
    let records: Vec<serde_json::Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("torn line {l:?}: {e}")))
        .collect();
    assert_eq!(records.len(), 320);
    assert!(records
        .iter()
        .all(|r| r["pad"].as_str().map(str::len) == Some(8192)));
}
