//! `blameless serve` for the benchmarks: the release binary, started on a free port over an
//! archive and stopped on drop.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// The blameless to run: `asked` (`--binary=PATH`: another build, an older one say, on the same
/// archives for a before/after comparison), else [`release_binary`].
pub fn binary(asked: Option<PathBuf>) -> Result<PathBuf> {
    match asked {
        Some(binary) => Ok(binary),
        None => release_binary(),
    }
}

/// `target/release/blameless`, beside the running example's own executable.
fn release_binary() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .context("no target directory")?;
    let binary = dir.join("blameless");
    if !binary.exists() {
        bail!(
            "`{}` is missing: run `cargo build --release` first",
            binary.display()
        );
    }
    Ok(binary)
}

/// `blameless serve`, stopped on drop.
pub struct Serve {
    child: Child,
    /// The port it listens on.
    pub port: u16,
}

impl Serve {
    /// Starts `binary serve` on the archive at `root` with its site in `root/site`, the clock
    /// fixed, its messages written to `log` (or dropped), and waits until it answers: `serve`
    /// listens once its first build is done.
    pub fn start(binary: &Path, root: &Path, log: Option<&Path>) -> Result<Serve> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let stderr = match log {
            Some(path) => Stdio::from(std::fs::File::create(path)?),
            None => Stdio::null(),
        };
        let child = Command::new(binary)
            .args(["serve", "--port", &port.to_string(), "--out"])
            .arg(root.join("site"))
            .args(["--now", "2026-01-01T00:00:00Z"])
            .current_dir(root)
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .context("start `blameless serve`")?;
        let serve = Serve { child, port };
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if start.elapsed() > Duration::from_secs(900) {
                bail!("`blameless serve` did not start");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(serve)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
