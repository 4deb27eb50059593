//! The post-mortem page as people read it, in a real headless Chromium: on paper for the
//! review meeting, on a phone, and on a wide screen. The sample archive's longest page, read
//! from the disk (the site's links are relative).

use std::path::Path;
use std::time::Duration;

use headless_chrome::protocol::cdp::Emulation::{SetDeviceMetricsOverride, SetEmulatedMedia};
use headless_chrome::Tab;

use crate::browser::{browser, eval};
use crate::harness::{repo, run_in};

const LONG: &str = "pm/2024-12-19-checkout-psp-timeouts/index.html";

fn build_sample(out: &Path) -> String {
    let site = out.join("site");
    let run = run_in(&repo(), &["build", "--out", site.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    format!("file://{}", site.join(LONG).display())
}

fn open(tab: &Tab, url: &str, width: u32, height: u32, media: &str) {
    tab.call_method(SetDeviceMetricsOverride {
        width,
        height,
        device_scale_factor: 1.0,
        mobile: width < 600,
        scale: None,
        screen_width: None,
        screen_height: None,
        position_x: None,
        position_y: None,
        dont_set_visible_size: None,
        screen_orientation: None,
        viewport: None,
        display_feature: None,
        device_posture: None,
    })
    .expect("set the viewport");
    tab.call_method(SetEmulatedMedia {
        media: Some(media.into()),
        features: None,
    })
    .expect("set the media");
    tab.navigate_to(url).expect("navigate");
    tab.wait_until_navigated().expect("load");
    std::thread::sleep(Duration::from_millis(200));
}

/// The top of the first element matching `selector`, in page coordinates.
fn top(tab: &Tab, selector: &str) -> f64 {
    let js = format!(
        "(() => {{ const e = document.querySelector({selector:?}); return e ? e.getBoundingClientRect().top + window.scrollY : -1; }})()"
    );
    let value: f64 = eval(tab, &js).parse().expect("a number");
    assert!(value >= 0.0, "no {selector}");
    value
}

fn shown(tab: &Tab, selector: &str) -> bool {
    let js = format!(
        "(() => {{ const e = document.querySelector({selector:?}); return !!e && e.getClientRects().length > 0; }})()"
    );
    eval(tab, &js) == "true"
}

#[test]
fn printed_post_mortems_lead_with_the_facts_and_spell_out_evidence_links() {
    let out = tempfile::tempdir().unwrap();
    let url = build_sample(out.path());
    let browser = browser();
    let tab = browser.new_tab().unwrap();
    // An A4 page at 96 dpi within the print margins: 182 × 265 mm.
    open(&tab, &url, 688, 1000, "print");
    for hidden in [
        ".site-header",
        ".header-search",
        ".crumbs",
        ".process",
        ".checklist",
        ".toc",
    ] {
        assert!(!shown(&tab, hidden), "{hidden} is printed");
    }
    let (facts, summary, timeline, actions) = (
        top(&tab, "#key-facts"),
        top(&tab, "#summary"),
        top(&tab, "#timeline"),
        top(&tab, "#actions"),
    );
    assert!(facts < summary && summary < timeline && timeline < actions);
    assert!(
        summary < 900.0,
        "the summary starts at {summary} px, not on the first page"
    );
    assert!(
        top(&tab, ".pm-side") > actions,
        "details before the actions"
    );
    let evidence = eval(
        &tab,
        "(() => { const a = document.querySelector('.tl-what a[href^=\"http\"]'); return a.href + ' | ' + getComputedStyle(a, '::after').content; })()",
    );
    let (href, after) = evidence.split_once(" | ").unwrap();
    assert!(
        after.contains(href),
        "the evidence link prints {after}, not {href}"
    );
}

#[test]
fn on_a_phone_the_key_facts_lead_and_nothing_is_cut_off() {
    let out = tempfile::tempdir().unwrap();
    let url = build_sample(out.path());
    let browser = browser();
    let tab = browser.new_tab().unwrap();
    open(&tab, &url, 390, 844, "screen");
    let facts = top(&tab, "#key-facts");
    assert!(facts < 844.0, "the key facts start at {facts} px");
    assert!(facts < top(&tab, "#summary"));
    for key in ["started", "detected", "mitigated", "resolved"] {
        assert!(top(&tab, &format!(".kf-{key}")) < top(&tab, "#summary"));
    }
    let cut = eval(
        &tab,
        "[...document.querySelectorAll('.site-header nav a')].filter(a => a.getBoundingClientRect().right > window.innerWidth).map(a => a.textContent).join(', ')",
    );
    assert_eq!(cut, "", "navigation cut off at 390 px");
    let overflow = eval(
        &tab,
        "document.documentElement.scrollWidth - document.documentElement.clientWidth",
    );
    assert_eq!(overflow, "0", "the page scrolls sideways");
}

#[test]
fn on_a_wide_screen_the_contents_stay_in_view() {
    let out = tempfile::tempdir().unwrap();
    let url = build_sample(out.path());
    let browser = browser();
    let tab = browser.new_tab().unwrap();
    open(&tab, &url, 1280, 900, "screen");
    assert!(shown(&tab, ".toc"));
    for fraction in ["0.5", "0.8"] {
        let rect = eval(
            &tab,
            &format!(
                "(() => {{ window.scrollTo(0, document.documentElement.scrollHeight * {fraction}); const r = document.querySelector('.toc').getBoundingClientRect(); return r.top + ',' + r.bottom; }})()"
            ),
        );
        let (top, bottom) = rect.split_once(',').unwrap();
        let (top, bottom): (f64, f64) = (top.parse().unwrap(), bottom.parse().unwrap());
        assert!(
            top >= 0.0 && bottom <= 900.0,
            "the contents are at {top}–{bottom} px after scrolling to {fraction} of the page"
        );
    }
}
