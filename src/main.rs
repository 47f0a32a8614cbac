//! Binary edge: parse arguments, run, map the result to an exit code.

use std::process::ExitCode;

use clap::Parser;
use otlp_analytics::{cli::Cli, run, Outcome};

// Decoding allocates many small strings and vectors per record; mimalloc's
// thread-local free lists make that markedly cheaper than glibc malloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = run(cli, &mut out).and_then(|outcome| {
        std::io::Write::flush(&mut out).map_err(|e| otlp_analytics::Error::io("<stdout>", e))?;
        Ok(outcome)
    });
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Findings) => ExitCode::from(1),
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
