//! Arbitrary text as `blameless.toml`: reading it must never panic, and neither may rendering
//! the problems it reports.

#![no_main]

use std::path::Path;

use blameless::config::{self, Config};
use blameless::diagnostic::render_one;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Err(diagnostics) = Config::parse(text, Path::new(config::FILE_NAME)) {
        for diagnostic in &diagnostics {
            let _ = render_one(diagnostic);
        }
    }
});
