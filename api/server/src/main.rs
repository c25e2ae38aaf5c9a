use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = leadgen_server::cli::Cli::parse();
    match leadgen_server::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("leadgen: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
