//! Arbitrary bytes as a post-mortem source: parsing must never panic, and neither may anything
//! that runs on the post-mortem it yields (the process rules, the artifacts, the diagnostics'
//! rendering).

#![no_main]

use std::path::PathBuf;

use blameless::artifacts::{email, ics, message};
use blameless::config::Config;
use blameless::diagnostic::render_one;
use blameless::load::Source;
use blameless::{parse, rules};
use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let source = Source {
        id: "fuzz".into(),
        path: PathBuf::from("content/fuzz.md"),
        bundle: None,
        assets: Vec::new(),
        bytes: bytes.to_vec(),
    };
    let config = Config::default();
    // why: a fixed "now" keeps every run reproducible from its input alone.
    let now = DateTime::<Utc>::from_timestamp(1_750_000_000, 0).expect("a valid timestamp");
    let parsed = parse::parse(&source, &config);
    let mut diagnostics = parsed.diagnostics;
    if let Some(pm) = &parsed.postmortem {
        diagnostics.extend(rules::check(pm, &config, now));
        let _ = message::external_message(pm);
        let _ = email::internal_email(pm, &config, now);
        let _ = ics::meeting_invite(pm, &config);
    }
    for diagnostic in &diagnostics {
        let _ = render_one(diagnostic);
    }
});
