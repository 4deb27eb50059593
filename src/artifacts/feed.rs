//! The Atom feed (`/feed.xml`, RFC 4287) of the newest post-mortems, written with `quick-xml`.
//!
//! Deterministic: an entry's `updated` is the latest time the post-mortem records that is not
//! after "now" (start, detection, mitigation, resolution, review meeting, posted message), and the
//! feed's `updated` is the newest of those, so a rebuild with the same sources and `--now`
//! gives the same bytes.
//!
//! Every text and attribute value loses the characters XML 1.0 forbids (the C0 controls but
//! tab, LF and CR; U+FFFE and U+FFFF): one of them in a title would make the whole feed
//! unreadable to every reader.

use std::io;

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;

use super::page_url;
use crate::archive::Archive;
use crate::postmortem::PostMortem;

/// How many post-mortems the feed holds.
pub const FEED_ENTRIES: usize = 50;

/// When `pm` last changed, as far as its fields tell: its latest recorded time not after `now`.
pub fn updated(pm: &PostMortem, now: DateTime<Utc>) -> DateTime<Utc> {
    [
        Some(pm.started),
        pm.detected,
        pm.mitigated,
        pm.resolved,
        pm.meeting.as_ref().and_then(|m| m.at),
        pm.external_message_posted,
    ]
    .into_iter()
    .flatten()
    .map(|t: DateTime<FixedOffset>| t.to_utc())
    .filter(|t| *t <= now)
    .max()
    .unwrap_or_else(|| pm.started.to_utc())
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `/feed.xml`: the newest `FEED_ENTRIES` post-mortems of the archive, in its order.
pub fn feed(archive: &Archive) -> String {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    // why: writing to a Vec cannot fail; the `Result` only carries io errors of other sinks.
    let _ = write_feed(&mut writer, archive);
    let mut out = String::from_utf8_lossy(&writer.into_inner()).into_owned();
    out.push('\n');
    out
}

fn write_feed(writer: &mut Writer<Vec<u8>>, archive: &Archive) -> io::Result<()> {
    let config = &archive.config;
    let entries: Vec<&PostMortem> = archive
        .postmortems
        .iter()
        .take(FEED_ENTRIES)
        .map(|pm| &**pm)
        .collect();
    let newest = entries
        .iter()
        .map(|pm| updated(pm, archive.now))
        .max()
        .unwrap_or(archive.now);
    let home = xml_text(&format!("{}/", config.base_url));
    let self_url = xml_text(&format!("{}/feed.xml", config.base_url));
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
    writer
        .create_element("feed")
        .with_attribute(("xmlns", "http://www.w3.org/2005/Atom"))
        .write_inner_content(|w| {
            text(w, "title", &config.title)?;
            text(w, "id", &home)?;
            text(w, "updated", &stamp(newest))?;
            w.create_element("link")
                .with_attributes([("rel", "self"), ("href", self_url.as_str())])
                .write_empty()?;
            w.create_element("link")
                .with_attributes([("rel", "alternate"), ("href", home.as_str())])
                .write_empty()?;
            w.create_element("generator")
                .write_text_content(BytesText::new("blameless"))?;
            for pm in &entries {
                write_entry(w, pm, archive)?;
            }
            Ok(())
        })?;
    Ok(())
}

fn write_entry(w: &mut Writer<Vec<u8>>, pm: &PostMortem, archive: &Archive) -> io::Result<()> {
    let url = xml_text(&page_url(&archive.config, &pm.id));
    let author = pm
        .owner
        .clone()
        .unwrap_or_else(|| archive.config.title.clone());
    w.create_element("entry").write_inner_content(|w| {
        text(w, "title", &format!("{}: {}", pm.severity.name, pm.title))?;
        text(w, "id", &url)?;
        w.create_element("link")
            .with_attributes([("rel", "alternate"), ("href", url.as_str())])
            .write_empty()?;
        text(w, "published", &stamp(pm.started.to_utc()))?;
        text(w, "updated", &stamp(updated(pm, archive.now)))?;
        w.create_element("author")
            .write_inner_content(|w| text(w, "name", &author))?;
        for term in [pm.severity.name.as_str(), pm.status.name()]
            .into_iter()
            .chain(pm.tags.iter().map(String::as_str))
        {
            w.create_element("category")
                .with_attribute(("term", xml_text(term).as_str()))
                .write_empty()?;
        }
        if !pm.summary.is_empty() {
            text(w, "summary", &pm.summary)?;
        }
        Ok(())
    })?;
    Ok(())
}

/// Writes `<name>value</name>`, the value escaped and rid of what XML forbids.
fn text(w: &mut Writer<Vec<u8>>, name: &str, value: &str) -> io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(&xml_text(value)))?;
    Ok(())
}

/// `text` without the characters XML 1.0 does not allow in a document: everything but
/// `#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]`.
// why: quick-xml escapes markup characters but writes controls as they are, and an escaped
// `&#x1;` is no better: XML 1.0 forbids the character however it is written.
fn xml_text(text: &str) -> String {
    text.chars()
        .filter(|c| {
            matches!(
                c,
                '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifacts::fixtures;

    #[test]
    fn feed_is_snapshotted() {
        insta::assert_snapshot!(feed(&fixtures::archive()), @r#"
        <?xml version="1.0" encoding="utf-8"?>
        <feed xmlns="http://www.w3.org/2005/Atom">
          <title>Acme post-mortems</title>
          <id>https://postmortems.acme.example/</id>
          <updated>2024-03-25T12:00:00Z</updated>
          <link rel="self" href="https://postmortems.acme.example/feed.xml"/>
          <link rel="alternate" href="https://postmortems.acme.example/"/>
          <generator>blameless</generator>
          <entry>
            <title>SEV-3: CDN purge rate-limited</title>
            <id>https://postmortems.acme.example/pm/2024-03-25-cdn-purge/</id>
            <link rel="alternate" href="https://postmortems.acme.example/pm/2024-03-25-cdn-purge/"/>
            <published>2024-03-25T12:00:00Z</published>
            <updated>2024-03-25T12:00:00Z</updated>
            <author>
              <name>Acme post-mortems</name>
            </author>
            <category term="SEV-3"/>
            <category term="Draft"/>
            <summary>Purges were rate-limited.</summary>
          </entry>
          <entry>
            <title>SEV-1: Search slow for all users</title>
            <id>https://postmortems.acme.example/pm/2024-03-20-search-slow/</id>
            <link rel="alternate" href="https://postmortems.acme.example/pm/2024-03-20-search-slow/"/>
            <published>2024-03-20T08:00:00Z</published>
            <updated>2024-03-20T09:00:00Z</updated>
            <author>
              <name>Chen Li</name>
            </author>
            <category term="SEV-1"/>
            <category term="In Review"/>
            <summary>Search took 8 s per query for an hour.</summary>
          </entry>
          <entry>
            <title>SEV-2: Checkout errors after a stalled failover</title>
            <id>https://postmortems.acme.example/pm/2024-03-12-checkout-failover/</id>
            <link rel="alternate" href="https://postmortems.acme.example/pm/2024-03-12-checkout-failover/"/>
            <published>2024-03-12T08:41:00Z</published>
            <updated>2024-03-14T14:00:00Z</updated>
            <author>
              <name>Ana Ruiz</name>
            </author>
            <category term="SEV-2"/>
            <category term="Closed"/>
            <category term="postgres"/>
            <category term="failover"/>
            <summary>A stalled Postgres failover made 18% of checkouts fail for 39 minutes.</summary>
          </entry>
        </feed>
        "#);
    }

    #[test]
    fn feed_parses_back() {
        let text = feed(&fixtures::archive());
        let doc = roxmltree::Document::parse(&text).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "feed");
        assert_eq!(
            root.tag_name().namespace(),
            Some("http://www.w3.org/2005/Atom")
        );
        let child = |node: roxmltree::Node<'_, '_>, name: &str| {
            node.children()
                .find(|n| n.has_tag_name(name))
                .and_then(|n| n.text())
                .map(str::to_string)
        };
        assert_eq!(
            child(root, "updated").as_deref(),
            Some("2024-03-25T12:00:00Z")
        );
        let entries: Vec<_> = root
            .children()
            .filter(|n| n.has_tag_name("entry"))
            .collect();
        assert_eq!(entries.len(), 3);
        let full = entries[2];
        assert_eq!(
            child(full, "id").as_deref(),
            Some("https://postmortems.acme.example/pm/2024-03-12-checkout-failover/")
        );
        // The meeting on 14 March is the latest thing this post-mortem records.
        assert_eq!(
            child(full, "updated").as_deref(),
            Some("2024-03-14T14:00:00Z")
        );
        let title = child(full, "title").unwrap();
        assert_eq!(title, "SEV-2: Checkout errors after a stalled failover");
    }

    #[test]
    fn characters_xml_forbids_are_left_out() {
        let mut archive = fixtures::archive();
        std::sync::Arc::make_mut(&mut archive.postmortems[0]).title =
            "CDN\u{1} purge\u{b} rate\u{fffe}-limited\u{0}".into();
        std::sync::Arc::make_mut(&mut archive.postmortems[0]).summary =
            "Purges\u{8} were\u{1f} rate-limited.\u{ffff}".into();
        std::sync::Arc::make_mut(&mut archive.postmortems[0]).tags = vec!["cdn\u{c}".into()];
        std::sync::Arc::make_mut(&mut archive.postmortems[0]).owner =
            Some("Chen\u{7f}\u{1b} Li".into());
        let text = feed(&archive);
        let doc = roxmltree::Document::parse(&text).unwrap();
        let entry = doc.descendants().find(|n| n.has_tag_name("entry")).unwrap();
        let child = |name: &str| entry.descendants().find(|n| n.has_tag_name(name)).unwrap();
        assert_eq!(child("title").text(), Some("SEV-3: CDN purge rate-limited"));
        assert_eq!(child("summary").text(), Some("Purges were rate-limited."));
        assert_eq!(child("name").text(), Some("Chen\u{7f} Li"));
        let terms: Vec<_> = entry
            .children()
            .filter(|n| n.has_tag_name("category"))
            .filter_map(|n| n.attribute("term"))
            .collect();
        assert_eq!(terms, ["SEV-3", "Draft", "cdn"]);
    }

    #[test]
    fn xml_text_keeps_every_character_xml_allows() {
        let allowed = "tab\t lf\n cr\r é \u{d7ff} \u{e000} \u{fffd} \u{10000} \u{10ffff}";
        assert_eq!(xml_text(allowed), allowed);
        assert_eq!(xml_text("a\u{0}\u{1}\u{1f}\u{fffe}\u{ffff}b"), "ab");
    }

    #[test]
    fn special_characters_are_escaped() {
        let mut archive = fixtures::archive();
        std::sync::Arc::make_mut(&mut archive.postmortems[0]).title = "a < b & \"c\"".into();
        let text = feed(&archive);
        let doc = roxmltree::Document::parse(&text).unwrap();
        assert!(doc
            .descendants()
            .any(|n| n.text() == Some("SEV-3: a < b & \"c\"")));
    }
}
