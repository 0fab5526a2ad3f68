//! Events written by earlier schema versions must still decode with the current contract.

use std::path::Path;

#[test]
fn every_golden_event_of_every_version_still_decodes() {
    let contract = events::Contract::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let event = contract
            .decode(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let version = path
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .split('-')
            .next()
            .unwrap()
            .trim_start_matches('v');
        assert_eq!(
            event.dataschema,
            format!("urn:portfolio:schema:events.tasks:{version}"),
            "{}",
            path.display()
        );
        checked += 1;
    }
    assert!(checked >= 3, "golden events are present");
}
