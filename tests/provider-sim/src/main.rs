//! `provider-sim --bind 127.0.0.1:0 --seed 1`: prints `listening on http://ADDR` first, then serves until killed.

use std::io::Write;
use std::net::TcpListener;

fn usage() -> ! {
    eprintln!("usage: provider-sim [--bind HOST:PORT] [--seed N]");
    std::process::exit(2)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut bind = "127.0.0.1:0".to_string();
    let mut seed: u64 = 1;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--bind" => bind = args.next().unwrap_or_else(|| usage()),
            "--seed" => {
                seed = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or_else(|| usage())
            }
            "-h" | "--help" => usage(),
            other => match other.split_once('=') {
                Some(("--bind", v)) => bind = v.to_string(),
                Some(("--seed", v)) => seed = v.parse().unwrap_or_else(|_| usage()),
                _ => usage(),
            },
        }
    }
    let listener = TcpListener::bind(&bind)?;
    let addr = listener.local_addr()?;
    let server = provider_sim::server(listener, seed)?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{addr}")?;
        out.flush()?;
    }
    let handle = server.handle();
    actix_web::rt::spawn(async move {
        if actix_web::rt::signal::ctrl_c().await.is_ok() {
            handle.stop(false).await;
        }
    });
    server.await
}
