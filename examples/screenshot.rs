//! Takes a screenshot of a page in headless Chromium, after its search (if any) has answered:
//! the way to look at the site as a reader does.
//!
//! ```text
//! cargo run --example screenshot -- http://127.0.0.1:8000/search/?q=dns shot.png [1280x900] [dark]
//! ```

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use headless_chrome::protocol::cdp::Emulation::{MediaFeature, SetEmulatedMedia};
use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
use headless_chrome::{Browser, LaunchOptions};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (url, out) = match (args.first(), args.get(1)) {
        (Some(url), Some(out)) => (url.clone(), out.clone()),
        _ => anyhow::bail!("usage: screenshot URL OUT.png [WIDTHxHEIGHT] [dark]"),
    };
    let (width, height) = args
        .get(2)
        .and_then(|s| s.split_once('x'))
        .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
        .unwrap_or((1280u32, 900u32));
    let dark = args.iter().any(|a| a == "dark");
    let browser = Browser::new(
        LaunchOptions::default_builder()
            .path(Some("/usr/bin/chromium".into()))
            .sandbox(false)
            .window_size(Some((width, height)))
            .build()?,
    )
    .context("start Chromium")?;
    let tab = browser.new_tab()?;
    if dark {
        tab.call_method(SetEmulatedMedia {
            media: None,
            features: Some(vec![MediaFeature {
                name: "prefers-color-scheme".into(),
                value: "dark".into(),
            }]),
        })?;
    }
    tab.navigate_to(&url)?.wait_until_navigated()?;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        let state = tab
            .evaluate("document.body.dataset.searchState || 'none'", false)?
            .value
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        if state != "loading" {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(300));
    let png = tab.capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true)?;
    std::fs::write(&out, png).with_context(|| format!("cannot write {out}"))?;
    Ok(())
}
