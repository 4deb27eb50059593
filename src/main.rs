//! The `blameless` binary: parse arguments, run, exit.

use std::process::ExitCode;

use clap::Parser;

// why: see Cargo.toml; the library leaves the choice of allocator to the binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match blameless::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            // why: clap exits 0 for --help and --version, 2 for usage errors; keep that.
            return ExitCode::from(if err.use_stderr() {
                blameless::cli::EXIT_USAGE
            } else {
                0
            });
        }
    };
    ExitCode::from(blameless::cli::run(cli))
}
