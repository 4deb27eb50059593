//! Import: the report of what was recovered from each file and what was guessed, printed for a
//! person on stderr and written as JSON with `--report FILE`.

use serde::Serialize;

/// A value the importer had to guess, and what it guessed it from.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Guess {
    /// The front-matter field (`started`, `severity`, …).
    pub field: String,
    /// The value written.
    pub value: String,
    /// Where it came from, as a phrase: "the file name", "the first timeline row".
    pub from: String,
}

/// What the importer made of one file.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FileReport {
    /// The file read, as given on the command line.
    pub source: String,
    /// The source written, relative to the archive root; `None` when nothing was written.
    pub written: Option<String>,
    /// The id of the written post-mortem.
    pub id: String,
    /// The title written.
    pub title: String,
    /// `started` as written (RFC 3339).
    pub started: String,
    /// Rows of the timeline, and how many of them have a readable time.
    pub timeline_rows: usize,
    /// Timeline rows whose time could be read.
    pub timeline_times: usize,
    /// `[[actions]]` written.
    pub actions: usize,
    /// Images copied into the bundle.
    pub images: usize,
    /// The values that were guessed.
    pub guesses: Vec<Guess>,
    /// What could not be done, and what `check` says about the written file.
    pub problems: Vec<String>,
}

/// The whole run's report.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Report {
    /// One entry per file read, in the order read.
    pub files: Vec<FileReport>,
}

impl Report {
    /// The report as a person reads it: one block per file, then the totals.
    pub fn human(&self) -> String {
        let mut out = String::new();
        for file in &self.files {
            match &file.written {
                Some(written) => out.push_str(&format!("imported {} -> {written}\n", file.source)),
                None => out.push_str(&format!("skipped {}\n", file.source)),
            }
            if file.written.is_some() {
                out.push_str(&format!(
                    "  title `{}`, started {}, {} timeline rows ({} with a time), {} actions{}\n",
                    file.title,
                    file.started,
                    file.timeline_rows,
                    file.timeline_times,
                    file.actions,
                    match file.images {
                        0 => String::new(),
                        n => format!(", {n} images"),
                    }
                ));
            }
            for guess in &file.guesses {
                out.push_str(&format!(
                    "  guessed: {} = `{}` from {}\n",
                    guess.field, guess.value, guess.from
                ));
            }
            for problem in &file.problems {
                out.push_str(&format!("  note: {problem}\n"));
            }
        }
        let written = self.files.iter().filter(|f| f.written.is_some()).count();
        let guesses: usize = self.files.iter().map(|f| f.guesses.len()).sum();
        out.push_str(&format!(
            "{written} of {} files imported, {guesses} guessed values to review (marked `# guessed` in each file)\n",
            self.files.len()
        ));
        out
    }

    /// The report as pretty JSON.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        Report {
            files: vec![FileReport {
                source: "old/2018-03-26-db.md".into(),
                written: Some("content/2018-03-26-db.md".into()),
                id: "2018-03-26-db".into(),
                title: "DB down".into(),
                started: "2018-03-26T00:00:00+00:00".into(),
                timeline_rows: 2,
                timeline_times: 2,
                actions: 1,
                images: 0,
                guesses: vec![Guess {
                    field: "started".into(),
                    value: "2018-03-26T00:00:00+00:00".into(),
                    from: "the file name".into(),
                }],
                problems: vec![],
            }],
        }
    }

    #[test]
    fn the_human_report_lists_every_guess() {
        insta::assert_snapshot!(report().human(), @r"
        imported old/2018-03-26-db.md -> content/2018-03-26-db.md
          title `DB down`, started 2018-03-26T00:00:00+00:00, 2 timeline rows (2 with a time), 1 actions
          guessed: started = `2018-03-26T00:00:00+00:00` from the file name
        1 of 1 files imported, 1 guessed values to review (marked `# guessed` in each file)
        ");
    }

    #[test]
    fn the_json_report_has_one_object_per_file() {
        let json: serde_json::Value = serde_json::from_str(&report().json()).unwrap();
        assert_eq!(json["files"][0]["guesses"][0]["from"], "the file name");
        assert_eq!(json["files"][0]["written"], "content/2018-03-26-db.md");
        assert_eq!(json["files"][0]["timeline_rows"], 2);
    }
}
